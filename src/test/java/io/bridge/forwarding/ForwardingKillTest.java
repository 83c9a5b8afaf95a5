package io.bridge.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeProcess;
import io.bridge.support.StandIns;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Nothing acknowledged is lost" for forwarding, proven by a crash: the bundle in its own JVM on the
 * embedded file database forwards to the Mixpanel stand-in while senders post events, and is killed
 * with SIGKILL mid-forwarding (batches in flight, events waiting). After a restart on the same files,
 * every stored event (every acknowledged one among them) is in the stand-in exactly once as Mixpanel
 * counts it; what was sent twice was sent with the same $insert_id, name, distinct_id and time.
 */
class ForwardingKillTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir"));
    static final String TOKEN = "forwarding-kill-test-token";

    @TempDir
    Path data;

    final FakeMixpanel mixpanel = StandIns.mixpanel();
    final FakeIterable iterable = StandIns.iterable();
    final List<BridgeProcess> started = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() throws InterruptedException {
        for (BridgeProcess bridge : started) {
            if (bridge.isAlive()) {
                bridge.kill();
            }
        }
        mixpanel.close();
        iterable.close();
    }

    @Test
    void everyStoredEventReachesMixpanelOnceAfterTheBundleIsKilledMidForwarding() throws Exception {
        mixpanel.delay(250); // each import takes a while: batches are in flight when the kill comes
        BridgeProcess first = start("first.log");
        assertThat(first.awaitStarted(Duration.ofMinutes(2))).as(first.output()).isTrue();

        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            int sender = s;
            Thread thread = new Thread(() -> {
                for (int i = 0; !stop.get() && i < 100_000; i++) {
                    String id = "k" + sender + "-" + i;
                    String body = "{\"email\":\"user" + (i % 40) + "@kill.example\",\"userId\":\"u" + (i % 40) + "\",\"eventName\":\""
                            + (i % 2 == 0 ? "emailSend" : "emailOpen") + "\",\"dataFields\":{\"createdAt\":\"2026-11-02 18:51:45 +00:00\","
                            + "\"messageId\":\"" + id + "\"}}";
                    try {
                        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + first.port()
                                + "/webhooks/iterable")).timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
                                .header("Authorization", "OAuth2 " + TOKEN).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (answer.statusCode() == 200) {
                            acknowledged.add(id);
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // the bundle is gone: not acknowledged
                    }
                }
            }, "sender-" + s);
            thread.start();
            senders.add(thread);
        }
        try {
            first.await(() -> mixpanel.imported().size() >= 300 && acknowledged.size() > mixpanel.imported().size(),
                    Duration.ofSeconds(90), "300 events forwarded while more wait");
            first.kill();
        } finally {
            stop.set(true);
            for (Thread sender : senders) {
                sender.join(20_000);
            }
        }
        int importedAtKill = mixpanel.imported().size();
        mixpanel.delay(0);

        BridgeProcess second = start("second.log");
        assertThat(second.awaitStarted(Duration.ofMinutes(2))).as(second.output()).isTrue();
        second.await(() -> {
            JsonNode status = status(second);
            return status != null && status.path("pending").asLong(-1) == 0 && messageIds().containsAll(acknowledged);
        }, Duration.ofSeconds(120), "every acknowledged event forwarded and nothing pending (claims of the killed bundle lapse after 3 s)");
        second.close();

        Set<String> stored = new HashSet<>();
        try (Connection db = DriverManager.getConnection("jdbc:hsqldb:file:" + data.resolve("bridge") + ";shutdown=true", "SA", "")) {
            for (String table : List.of("exempt_events", "billable_events")) {
                try (ResultSet rows = db.createStatement().executeQuery("SELECT message_id FROM " + table)) {
                    while (rows.next()) {
                        stored.add(rows.getString(1));
                    }
                }
            }
        }
        Map<String, Integer> perMessage = new HashMap<>();
        for (ObjectNode event : mixpanel.imported()) {
            perMessage.merge(event.path("properties").path("messageId").asText(), 1, Integer::sum);
        }
        System.out.printf("ForwardingKillTest: %d acknowledged, %d stored, %d imported at the kill, %d imported in the end, "
                + "%d events received in all (retries included)%n", acknowledged.size(), stored.size(), importedAtKill,
                perMessage.size(), mixpanel.receivedEvents());
        assertThat(stored).as("every acknowledged event is stored").containsAll(acknowledged);
        assertThat(perMessage.keySet()).as("every stored event is in Mixpanel").containsExactlyInAnyOrderElementsOf(stored);
        assertThat(perMessage).as("once each as Mixpanel counts it: a resend carried the same $insert_id, name, distinct_id, time")
                .allSatisfy((id, times) -> assertThat(times).isOne());
        assertThat(mixpanel.violations()).isEmpty();
    }

    private Set<String> messageIds() {
        Set<String> ids = new HashSet<>();
        mixpanel.imported().forEach(e -> ids.add(e.path("properties").path("messageId").asText()));
        return ids;
    }

    private static JsonNode status(BridgeProcess bridge) {
        try {
            HttpResponse<String> answer = bridge.call("GET", "/api/forwarding", null);
            return answer.statusCode() == 200 ? new ObjectMapper().readTree(answer.body()) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private BridgeProcess start(String log) throws Exception {
        Map<String, String> env = new HashMap<>(StandIns.environment(mixpanel, iterable));
        env.put("BRIDGE_WEBHOOKS_ITERABLE_TOKEN", TOKEN);
        BridgeProcess bridge = BridgeProcess.start(ROOT, data.resolve(log), env, "--bridge.data-dir=" + data,
                "--bridge.forwarding.lease=3s", "--bridge.forwarding.batch-events=50", "--bridge.forwarding.poll-interval=200ms");
        started.add(bridge);
        return bridge;
    }
}
