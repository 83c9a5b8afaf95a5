package io.bridge.crash;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeProcess;
import io.bridge.support.MixpanelPushes;
import io.bridge.support.StandIns;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Acknowledged pushed pages are applied, after a crash too", proven by one: the bundle runs as its
 * own JVM on the embedded file database as shipped, Mixpanel's webhook posts a whole members session
 * and every page is acknowledged, Iterable holds the run's first subscribe call, and the bundle is
 * killed with SIGKILL before any Iterable answer is read. Started again, it applies the pages it had
 * acknowledged: the list holds exactly the session's members with an email.
 */
class PushKillTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir"));
    static final String LIST = "mixpanel_Pushed then killed_9";
    static final String SUBSCRIBE = "/api/lists/subscribe";

    @TempDir
    Path data;

    final FakeMixpanel mixpanel = StandIns.mixpanel();
    final FakeIterable iterable = StandIns.iterable();
    final List<BridgeProcess> started = new ArrayList<>();

    @AfterEach
    void stopEverything() throws InterruptedException {
        iterable.release();
        for (BridgeProcess bridge : started) {
            if (bridge.isAlive()) {
                bridge.kill();
            }
        }
        mixpanel.close();
        iterable.close();
    }

    @Test
    void pagesAcknowledgedBeforeASigkillAreAppliedAfterTheRestart() throws Exception {
        Set<String> expected = new TreeSet<>();
        List<String> pages = new ArrayList<>();
        for (int page = 1; page <= 3; page++) {
            List<String> members = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String email = "member" + page + i + "@push.example";
                members.add(email);
                expected.add(email);
            }
            members.add(""); // a member without an email on every page
            pages.add(MixpanelPushes.payload("members", 9, "Pushed then killed", "session-1", page, 3, members.toArray(String[]::new)));
        }
        iterable.hold(); // every Iterable call waits: nothing the pages ask for is done before the kill

        BridgeProcess first = start("first.log");
        assertThat(first.awaitStarted(Duration.ofMinutes(2))).as(first.output()).isTrue();
        for (String page : pages) {
            HttpResponse<String> answer = first.call("POST", "/webhooks/mixpanel", page, MixpanelPushes.TEST_AUTHORIZATION);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("{\"action\":\"members\",\"status\":\"success\"}");
        }
        first.await(() -> iterable.callsInFlight() > 0, Duration.ofSeconds(30), "the push run's first Iterable call");
        first.kill();
        iterable.release(); // the held calls are answered to nobody: their lists exist, their members do not matter

        BridgeProcess second = start("second.log");
        assertThat(second.awaitStarted(Duration.ofMinutes(2))).as(second.output()).isTrue();
        second.await(() -> expected.equals(iterable.members(LIST)) && runs(second).stream()
                .anyMatch(r -> "succeeded".equals(r.path("status").asText())), Duration.ofSeconds(60),
                "the acknowledged pages to be applied after the restart");
        List<JsonNode> runs = runs(second);
        assertThat(runs).extracting(r -> r.path("status").asText()).containsExactly("succeeded", "interrupted");
        assertThat(runs.get(0).path("trigger").asText()).isEqualTo("push");
        assertThat(runs.get(0).path("skippedNoEmail").asInt()).isEqualTo(3);
        assertThat(iterable.channelUnsubscribes()).isZero();
    }

    private BridgeProcess start(String log) throws Exception {
        Map<String, String> env = StandIns.environment(mixpanel, iterable);
        env.put("HOSTNAME", "bridge-push-kill-test-0");
        env.put("BRIDGE_EXPORTS_BATCHSIZE", "2");
        env.put("BRIDGE_DATA_DIR", data.toString());
        env.put("BRIDGE_WEBHOOKS_MIXPANEL_USERNAME", MixpanelPushes.USER);
        env.put("BRIDGE_WEBHOOKS_MIXPANEL_PASSWORD", MixpanelPushes.PASSWORD);
        env.put("BRIDGE_EXPORTS_RETRYDELAY", "100ms");
        BridgeProcess bridge = BridgeProcess.start(ROOT, data.resolve(log), env);
        started.add(bridge);
        return bridge;
    }

    private static List<JsonNode> runs(BridgeProcess bridge) {
        List<JsonNode> runs = new ArrayList<>();
        try {
            new ObjectMapper().readTree(bridge.call("GET", "/api/exports/9/runs", null).body()).forEach(runs::add);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return runs;
    }
}
