package io.bridge.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeProcess;
import io.bridge.support.BridgeTables;
import io.bridge.support.Postgres;
import io.bridge.support.StandIns;
import io.bridge.webhooks.DedupKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Several replicas forward "without stalling when one dies", with a replica that really dies: two
 * replicas of the bundle, each its own JVM, on one PostgreSQL database, each with one batch at a time
 * in flight to the Mixpanel stand-in, which holds both. Replica A is killed with SIGKILL while its batch
 * waits. Replica B goes on forwarding what arrives after the kill at once (A's rows are not in its way),
 * and takes A's batch over once A's lease lapses: every stored event reaches Mixpanel, once as
 * Mixpanel counts it, and only A's batch may have been on the wire twice (same {@code $insert_id}).
 * Needs PostgreSQL: tagged "postgresql", run by .ci/run's PostgreSQL pass.
 */
@Tag("postgresql")
class ForwardingReplicaKillTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir"));
    static final String TOKEN = "forwarding-replica-kill-token";
    static final Duration LEASE = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    final FakeMixpanel mixpanel = StandIns.mixpanel();
    final FakeIterable iterable = StandIns.iterable();
    final String cluster = "forwarding-replica-kill-" + UUID.randomUUID();
    final List<BridgeProcess> started = new ArrayList<>();
    final HttpClient http = HttpClient.newHttpClient();
    JdbcTemplate jdbc;

    @BeforeEach
    void database() {
        jdbc = Postgres.jdbc(getClass());
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        mixpanel.release();
        for (BridgeProcess replica : started) {
            if (replica.isAlive()) {
                replica.kill();
            }
        }
        mixpanel.close();
        iterable.close();
    }

    @Test
    void theOtherReplicaForwardsOnAtOnceAndTakesTheDeadOnesBatchOverOnceItsLeaseLapses() throws Exception {
        BridgeProcess a = start("A");
        BridgeProcess b = start("B"); // at once, on an empty Quartz store: see QuartzJobStoreTest
        assertThat(a.awaitStarted(Duration.ofMinutes(2))).as(a.output()).isTrue();
        assertThat(b.awaitStarted(Duration.ofMinutes(2))).as(b.output()).isTrue();
        BridgeTables.empty(jdbc);

        mixpanel.hold();
        for (int i = 0; i < 40; i++) {
            post(a, "before-" + i);
        }
        a.await(() -> mixpanel.callsInFlight() == 2, Duration.ofSeconds(30), "both replicas to have a batch in flight");
        Thread.sleep(1000); // a replica that started more batches than its one worker would show them by now
        assertThat(mixpanel.callsInFlight()).as("one batch in flight per replica (bridge.forwarding.workers=1), "
                + "however long Mixpanel takes").isEqualTo(2);
        Set<String> claimedAtKill = new HashSet<>(jdbc.queryForList(
                "SELECT dedup_key FROM forwarding_outbox WHERE lease_until > CURRENT_TIMESTAMP", String.class));
        a.kill();
        Instant killed = Instant.now();
        mixpanel.release();

        for (int i = 0; i < 20; i++) {
            post(b, "after-" + i);
        }
        b.await(() -> messageIds().containsAll(ids("after-", 20)), LEASE, "B to forward what arrived after the kill");
        assertThat(Instant.now()).as("B forwarded the new events while A's batch was still leased").isBefore(killed.plus(LEASE));

        b.await(() -> jdbc.queryForObject("SELECT COUNT(*) FROM forwarding_outbox", Integer.class) == 0,
                LEASE.plusSeconds(30), "B to take A's batch over once its lease lapsed");
        Set<String> expected = new HashSet<>(ids("before-", 40));
        expected.addAll(ids("after-", 20));
        assertThat(messageIds()).as("every stored event is in Mixpanel").containsExactlyInAnyOrderElementsOf(expected);
        Set<String> heldAtKill = new HashSet<>();
        claimedAtKill.forEach(key -> heldAtKill.add(DedupKey.insertId(key)));
        assertThat(heldAtKill).as("rows of the two batches in flight at the kill").hasSizeBetween(2, 20);
        Map<String, Integer> perInsertId = new HashMap<>();
        for (ObjectNode event : mixpanel.imported()) {
            String insertId = event.path("properties").path("$insert_id").asText();
            perInsertId.put(insertId, mixpanel.receivedTimes(insertId));
        }
        assertThat(perInsertId).as("one event per $insert_id").hasSize(expected.size());
        perInsertId.forEach((insertId, times) -> {
            if (times > 1) {
                assertThat(heldAtKill).as("an event on the wire twice was in a batch in flight at the kill").contains(insertId);
            }
        });
        assertThat(mixpanel.violations()).isEmpty();
    }

    private void post(BridgeProcess replica, String messageId) throws Exception {
        String body = "{\"email\":\"user@replica-kill.example\",\"userId\":\"u1\",\"eventName\":\"emailSend\",\"dataFields\":"
                + "{\"createdAt\":\"2026-11-02 18:51:45 +00:00\",\"messageId\":\"" + messageId + "\"}}";
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replica.port()
                + "/webhooks/iterable")).header("Content-Type", "application/json").header("Authorization", "OAuth2 " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    }

    private static List<String> ids(String prefix, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(prefix + i);
        }
        return ids;
    }

    private Set<String> messageIds() {
        Set<String> ids = new HashSet<>();
        mixpanel.imported().forEach(e -> ids.add(e.path("properties").path("messageId").asText()));
        return ids;
    }

    private BridgeProcess start(String name) throws Exception {
        Map<String, String> env = new HashMap<>(StandIns.environment(mixpanel, iterable));
        env.putAll(Postgres.environment(getClass()));
        env.put("SPRING_QUARTZ_SCHEDULERNAME", cluster);
        env.put("HOSTNAME", name);
        env.put("BRIDGE_DATA_DIR", dir.resolve(name).toString());
        env.put("BRIDGE_WEBHOOKS_ITERABLE_TOKEN", TOKEN);
        BridgeProcess replica = BridgeProcess.start(ROOT, dir.resolve(name + ".log"), env, "--bridge.forwarding.enabled=true",
                "--bridge.forwarding.workers=1", "--bridge.forwarding.batch-events=10", "--bridge.forwarding.lease=" + LEASE.toSeconds() + "s",
                "--bridge.forwarding.poll-interval=200ms");
        started.add(replica);
        return replica;
    }
}
