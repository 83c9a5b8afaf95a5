package io.bridge.cluster;

import static io.bridge.support.Waiting.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.BridgeApplication;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeTables;
import io.bridge.support.MixpanelPushes;
import io.bridge.support.Postgres;
import io.bridge.support.StandIns;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Two replicas on one PostgreSQL database receive the pages of one members session, as a load
 * balancer spreads Mixpanel's calls: one run applies the whole session, no page twice, and the list
 * holds exactly the session's members; the next session's leavers are unsubscribed. Needs
 * PostgreSQL: tagged "postgresql", run by .ci/run's PostgreSQL pass.
 */
@Tag("postgresql")
class PushClusterTest {

    static final String LIST = "mixpanel_Spread_21";
    final FakeMixpanel mixpanel = StandIns.mixpanel();
    final FakeIterable iterable = StandIns.iterable();
    final String cluster = "push-cluster-" + UUID.randomUUID();
    final List<ConfigurableApplicationContext> replicas = new ArrayList<>();
    JdbcTemplate jdbc;

    @BeforeEach
    void twoReplicas() {
        replicas.add(start("A"));
        replicas.add(start("B"));
        jdbc = Postgres.jdbc(getClass());
        BridgeTables.empty(jdbc);
    }

    @AfterEach
    void stop() {
        replicas.forEach(ConfigurableApplicationContext::close);
        mixpanel.close();
        iterable.close();
    }

    @Test
    void pagesOfOneSessionSpreadOverTwoReplicasAreAppliedByOneRunOnce() throws Exception {
        Set<String> first = session("s1", 0, 30);
        await("the first session applied").atMost(Duration.ofSeconds(60)).until(() -> succeeded() == 1);
        assertThat(iterable.members(LIST)).isEqualTo(first);
        assertThat(iterable.calls("/api/lists/subscribe")).as("30 joiners in batches of 2, none sent twice").isEqualTo(15);

        Set<String> second = session("s2", 5, 30); // 5 left, 5 joined
        await("the second session applied").atMost(Duration.ofSeconds(60)).until(() -> succeeded() == 2);
        assertThat(iterable.members(LIST)).isEqualTo(second);
        assertThat(iterable.calls("/api/lists/subscribe") + iterable.calls("/api/lists/unsubscribe")).as("+5 -5 in batches of 2")
                .isEqualTo(15 + 3 + 3);
        assertThat(jdbc.queryForList("SELECT status FROM sync_runs WHERE cohort_id = 21", String.class))
                .as("a replica that found the cohort claimed left no run behind").containsExactly("succeeded", "succeeded");
        assertThat(iterable.channelUnsubscribes()).isZero();
    }

    private int succeeded() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM sync_runs WHERE cohort_id = 21 AND status = 'succeeded'", Integer.class);
    }

    /** Posts members from..from+count in 6 pages, alternately to each replica, 3 at a time; returns their emails. */
    private Set<String> session(String session, int from, int count) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Set<String> emails = new TreeSet<>();
        int pages = 6;
        int size = count / pages;
        List<String> bodies = new ArrayList<>();
        for (int page = 1; page <= pages; page++) {
            List<String> members = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                String email = "m" + (from + (page - 1) * size + i) + "@spread.example";
                members.add(email);
                emails.add(email);
            }
            bodies.add(MixpanelPushes.payload("members", 21, "Spread", session, page, pages, members.toArray(String[]::new)));
        }
        Map<Integer, Integer> answers = new ConcurrentHashMap<>();
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            int sender = s;
            Thread thread = new Thread(() -> {
                for (int page = sender; page < pages; page += 3) {
                    int port = ((WebServerApplicationContext) replicas.get(page % 2)).getWebServer().getPort();
                    try {
                        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/webhooks/mixpanel")).header("Content-Type", "application/json")
                                .header("Authorization", MixpanelPushes.TEST_AUTHORIZATION)
                                .POST(HttpRequest.BodyPublishers.ofString(bodies.get(page))).build(), HttpResponse.BodyHandlers.ofString());
                        answers.put(page, answer.statusCode());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            thread.start();
            senders.add(thread);
        }
        for (Thread sender : senders) {
            sender.join(60_000);
        }
        assertThat(answers).hasSize(pages).allSatisfy((page, status) -> assertThat(status).isEqualTo(200));
        return emails;
    }

    private ConfigurableApplicationContext start(String instance) {
        Postgres.url(getClass()); // fails at once, saying what to set, without PostgreSQL
        return new SpringApplicationBuilder(BridgeApplication.class).profiles("test").run(
                "--spring.config.location=file:./application.yaml,classpath:/", "--server.port=0",
                "--spring.quartz.scheduler-name=" + cluster, "--camel.main.name=" + cluster + "-" + instance,
                "--camel.main.jmx-enabled=false", "--bridge.instance-id=" + instance, "--bridge.exports.batch-size=2",
                "--bridge.mixpanel.base-url=" + mixpanel.baseUrl(), "--bridge.mixpanel.project-id=" + StandIns.PROJECT,
                "--bridge.mixpanel.username=" + StandIns.USER, "--bridge.mixpanel.secret=" + StandIns.SECRET,
                "--bridge.iterable.base-url=" + iterable.baseUrl(), "--bridge.iterable.api-key=" + StandIns.API_KEY);
    }
}
