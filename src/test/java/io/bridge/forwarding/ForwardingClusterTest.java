package io.bridge.forwarding;

import static io.bridge.support.Waiting.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bridge.BridgeApplication;
import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.support.BridgeTables;
import io.bridge.support.Postgres;
import io.bridge.support.StandIns;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Two replicas on one PostgreSQL database forward the events both take in: every event reaches
 * Mixpanel, and no event is sent by both (their claims are shared through the database). Needs
 * PostgreSQL: tagged "postgresql", run by .ci/run's PostgreSQL pass.
 */
@Tag("postgresql")
class ForwardingClusterTest {

    final FakeMixpanel mixpanel = StandIns.mixpanel();
    final FakeIterable iterable = StandIns.iterable();
    final String cluster = "forwarding-cluster-" + UUID.randomUUID();
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
    void twoReplicasForwardEveryEventAndNeverTheSameOne() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Set<String> sent = ConcurrentHashMap.newKeySet();
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            int sender = s;
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 150; i++) {
                    String id = "c" + sender + "-" + i;
                    int port = port(replicas.get((sender + i) % 2));
                    String body = "{\"email\":\"u" + i + "@cluster.example\",\"eventName\":\"emailSend\",\"dataFields\":"
                            + "{\"createdAt\":\"2026-11-02 18:51:45 +00:00\",\"messageId\":\"" + id + "\"}}";
                    try {
                        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/webhooks/iterable")).header("Content-Type", "application/json")
                                .header("Authorization", "OAuth2 test-webhook-token").POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        if (answer.statusCode() == 200) {
                            sent.add(id);
                        }
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
        assertThat(sent).hasSize(600);
        await("every event forwarded").atMost(Duration.ofSeconds(60)).until(() -> mixpanel.imported().size() >= 600
                && jdbc.queryForObject("SELECT COUNT(*) FROM forwarding_outbox", Integer.class) == 0);
        Set<String> imported = mixpanel.imported().stream().map(e -> e.path("properties").path("messageId").asText())
                .collect(Collectors.toSet());
        assertThat(imported).containsExactlyInAnyOrderElementsOf(sent);
        for (ObjectNode event : mixpanel.imported()) {
            assertThat(mixpanel.receivedTimes(event.path("properties").path("$insert_id").asText()))
                    .as("sent by one replica, once").isOne();
        }
    }

    private static int port(ConfigurableApplicationContext replica) {
        return ((WebServerApplicationContext) replica).getWebServer().getPort();
    }

    private ConfigurableApplicationContext start(String instance) {
        Postgres.url(getClass()); // fails at once, saying what to set, without PostgreSQL
        return new SpringApplicationBuilder(BridgeApplication.class).profiles("test").run(
                "--spring.config.location=file:./application.yaml,classpath:/", "--server.port=0",
                "--spring.quartz.scheduler-name=" + cluster, "--camel.main.name=" + cluster + "-" + instance,
                "--camel.main.jmx-enabled=false", "--bridge.instance-id=" + instance,
                "--bridge.forwarding.enabled=true", "--bridge.forwarding.batch-events=25", "--bridge.forwarding.workers=3",
                "--bridge.forwarding.poll-interval=200ms",
                "--bridge.mixpanel.base-url=" + mixpanel.baseUrl(), "--bridge.mixpanel.ingestion-url=" + mixpanel.baseUrl(),
                "--bridge.mixpanel.project-id=" + StandIns.PROJECT, "--bridge.mixpanel.username=" + StandIns.USER,
                "--bridge.mixpanel.secret=" + StandIns.SECRET, "--bridge.iterable.base-url=" + iterable.baseUrl(),
                "--bridge.iterable.api-key=" + StandIns.API_KEY);
    }
}
