package io.bridge.crash;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.support.BridgeProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "A 2xx means committed", proven by a crash: the bundle runs as its own JVM on the embedded file
 * database as shipped (application.yaml's URL, in a fresh data directory), 16 senders post
 * concurrently (single events and arrays), and the bundle is killed with SIGKILL while deliveries are
 * in flight. After a restart on the same files, every event of every acknowledged delivery is there,
 * exactly once, and every delivery, acknowledged or not, is stored whole or not at all.
 */
class WebhookKillTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir"));
    static final String TOKEN = "kill-test-webhook-token";
    static final int SENDERS = 16;

    @TempDir
    Path data;

    final List<BridgeProcess> started = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() throws InterruptedException {
        for (BridgeProcess bridge : started) {
            if (bridge.isAlive()) {
                bridge.kill();
            }
        }
    }

    @Test
    void everyAcknowledgedEventIsStoredAfterTheBundleIsKilledMidLoad() throws Exception {
        BridgeProcess first = start("first.log");
        assertThat(first.awaitStarted(Duration.ofMinutes(2))).as(first.output()).isTrue();

        // delivery id -> its events' messageIds; acknowledged: the deliveries answered 2xx
        Map<String, List<String>> sent = new ConcurrentHashMap<>();
        Map<String, Integer> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger unexpected = new AtomicInteger();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < SENDERS; s++) {
            int sender = s;
            Thread thread = new Thread(() -> {
                for (int i = 0; !killed.get() && i < 100_000; i++) {
                    String delivery = "d" + sender + "-" + i;
                    int events = i % 3 == 2 ? 3 : 1; // every third delivery is an array of three: all or nothing
                    List<String> ids = new ArrayList<>();
                    StringBuilder body = new StringBuilder(events > 1 ? "[" : "");
                    for (int e = 0; e < events; e++) {
                        String id = delivery + "-" + e;
                        ids.add(id);
                        body.append(e > 0 ? "," : "").append("{\"email\":\"user").append((sender * 7 + i + e) % 50)
                                .append("@kill.example\",\"eventName\":\"").append((i + e) % 2 == 0 ? "emailSend" : "emailOpen")
                                .append("\",\"dataFields\":{\"createdAt\":\"2026-11-02 18:51:45 +00:00\",\"messageId\":\"")
                                .append(id).append("\"}}");
                    }
                    body.append(events > 1 ? "]" : "");
                    sent.put(delivery, ids);
                    try {
                        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + first.port() + "/webhooks/iterable"))
                                .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
                                .header("Authorization", "OAuth2 " + TOKEN)
                                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
                        if (answer.statusCode() / 100 == 2) {
                            acknowledged.put(delivery, events);
                        } else if (answer.statusCode() != 503) {
                            unexpected.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // refused or cut off: the bundle is gone; the delivery was not acknowledged
                    }
                }
            }, "sender-" + s);
            thread.start();
            senders.add(thread);
        }
        try {
            first.await(() -> acknowledged.size() >= 400, Duration.ofSeconds(60), "400 acknowledged deliveries");
            int inFlight = sent.size() - acknowledged.size();
            first.kill(); // while the senders keep posting: deliveries are mid-commit
            killed.set(true);
            assertThat(inFlight).as("deliveries sent but not yet answered when the bundle was killed").isPositive();
        } finally {
            killed.set(true);
            for (Thread sender : senders) {
                sender.join(20_000);
            }
        }
        assertThat(senders).noneMatch(Thread::isAlive);
        assertThat(unexpected.get()).as("answers other than 2xx and 503").isZero();
        Map<String, Integer> acked = new HashMap<>(acknowledged); // final: the senders have ended

        // the same files, the same settings: the restarted bundle recovers the database and serves
        BridgeProcess second = start("second.log");
        assertThat(second.awaitStarted(Duration.ofMinutes(2))).as(second.output()).isTrue();
        JsonNode mtu = new ObjectMapper().readTree(second.call("GET", "/api/mtu?month=2026-11", null).body());
        int ackedEvents = acked.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(mtu.path("billableEvents").asInt() + mtu.path("exemptEvents").asInt())
                .as("events the restarted bundle counts, at least those acknowledged").isGreaterThanOrEqualTo(ackedEvents);
        second.close(); // a clean stop, so that this JVM can open the files

        Map<String, Integer> stored = new HashMap<>();
        List<String> uncounted = new ArrayList<>();
        try (Connection db = DriverManager.getConnection("jdbc:hsqldb:file:" + data.resolve("bridge") + ";shutdown=true", "SA", "")) {
            for (String table : List.of("exempt_events", "billable_events")) {
                try (ResultSet rows = db.createStatement().executeQuery("SELECT message_id FROM " + table)) {
                    while (rows.next()) {
                        stored.merge(rows.getString(1), 1, Integer::sum);
                    }
                }
                // every stored event's user is in month_users: they were committed together
                try (ResultSet rows = db.createStatement().executeQuery("SELECT event_month, user_key FROM " + table
                        + " EXCEPT SELECT event_month, user_key FROM month_users WHERE billable = "
                        + table.equals("billable_events"))) {
                    while (rows.next()) {
                        uncounted.add(table + " " + rows.getString(1) + " " + rows.getString(2));
                    }
                }
            }
        }
        List<String> lost = new ArrayList<>();
        List<String> torn = new ArrayList<>();
        for (Map.Entry<String, List<String>> delivery : sent.entrySet()) {
            long kept = delivery.getValue().stream().filter(stored::containsKey).count();
            if (acked.containsKey(delivery.getKey()) && kept < delivery.getValue().size()) {
                lost.add(delivery.getKey());
            }
            if (kept != 0 && kept != delivery.getValue().size()) {
                torn.add(delivery.getKey());
            }
        }
        System.out.printf("WebhookKillTest: %d deliveries sent, %d acknowledged (%d events), %d events stored after the kill%n",
                sent.size(), acked.size(), ackedEvents, stored.size());
        assertThat(lost).as("acknowledged deliveries (of %d, %d events) missing after the kill", acked.size(), ackedEvents).isEmpty();
        assertThat(torn).as("deliveries stored in part").isEmpty();
        assertThat(stored).as("each event stored once").allSatisfy((id, times) -> assertThat(times).isOne());
        assertThat(uncounted).as("users of stored events missing from month_users").isEmpty();
    }

    private BridgeProcess start(String log) throws Exception {
        BridgeProcess bridge = BridgeProcess.start(ROOT, data.resolve(log), Map.of("BRIDGE_WEBHOOKS_ITERABLE_TOKEN", TOKEN),
                "--bridge.data-dir=" + data);
        started.add(bridge);
        return bridge;
    }
}
