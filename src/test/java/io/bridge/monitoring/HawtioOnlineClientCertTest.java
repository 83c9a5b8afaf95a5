package io.bridge.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import io.bridge.support.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.DisableJmx;
import org.jolokia.support.spring.SpringJolokiaAgent;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Hawtio Online's way in (bridge.monitoring.jolokia.auth=client-cert): HTTPS and a TLS client
 * certificate signed by the configured CA (on OpenShift: the service CA) naming Hawtio Online. With
 * it, Hawtio reads Camel's MBeans, and still nothing else; without it nobody gets in, not with the
 * ADMIN's Basic credentials, another subject, a serving certificate or a self-signed look-alike.
 */
@DisableJmx(false)
@DirtiesContext
@TestPropertySource(properties = {"camel.component.jolokia.enabled=true", "camel.component.jolokia.server-config.port=0",
        "camel.component.jolokia.kubernetes-discover=false", "bridge.monitoring.jolokia.auth=client-cert"})
class HawtioOnlineClientCertTest extends BridgeHttpTest {

    static final TestCertificates CERTS = TestCertificates.create();
    static final String HAWTIO_ONLINE = "CN=hawtio-online.hawtio.svc";

    @DynamicPropertySource
    static void theCa(DynamicPropertyRegistry registry) {
        registry.add("bridge.monitoring.jolokia.ca-cert", () -> CERTS.caPem().toString());
    }

    @Autowired
    CamelContext camel;
    @Autowired
    SpringJolokiaAgent jolokia;

    @Test
    void hawtioOnlinesCertificateReadsCamelAndNothingElse() throws Exception {
        HttpClient hawtio = TestCertificates.https(CERTS.signed("hawtio", HAWTIO_ONLINE + ",OU=hawtio", "clientAuth"));

        HttpResponse<String> routes = get(hawtio, "/read/org.apache.camel:type=routes,*/ExchangesTotal", null);
        assertThat(routes.statusCode()).as(routes.body()).isEqualTo(200);
        assertThat(json(routes).path("status").asInt()).as(routes.body()).isEqualTo(200);
        assertThat(routes.body()).contains("iterable-webhook-intake");

        // the restrictor still applies: no code through the context MBean, nothing outside Camel
        String context = json(get(hawtio, "/search/org.apache.camel:type=context,*", null)).get("value").get(0).asText();
        HttpResponse<String> code = post(hawtio, "{\"type\":\"exec\",\"mbean\":" + JSON.writeValueAsString(context)
                + ",\"operation\":\"requestBody(java.lang.String,java.lang.Object)\",\"arguments\":"
                + "[\"language:simple:{{bridge.webhooks.iterable.token}}\",\"x\"]}");
        assertThat(json(code).path("status").asInt()).as(code.body()).isEqualTo(403);
        assertThat(code.body()).doesNotContain("test-webhook-token");
        assertThat(json(get(hawtio, "/read/java.lang:type=Runtime/InputArguments", null)).path("status").asInt()).isEqualTo(403);
        json(get(hawtio, "/search/*:*", null)).get("value").forEach(name -> assertThat(name.asText()).startsWith("org.apache.camel:"));
        assertThat(camel.getStatus().isStarted()).isTrue();
    }

    @Test
    void withoutHawtioOnlinesCertificateNobodyGetsIn() throws Exception {
        String routes = "/read/org.apache.camel:type=routes,*/ExchangesTotal";
        // no certificate, even with the ADMIN's Basic credentials (Hawtio Online never forwards them anyway)
        assertThat(get(TestCertificates.https(null), routes, ADMIN).statusCode()).isIn(401, 403);
        // signed by the CA, but for someone else
        assertThat(get(TestCertificates.https(CERTS.signed("other", "CN=someone-else.hawtio.svc", "clientAuth")), routes, null)
                .statusCode()).isEqualTo(403);
        // signed by the CA for Hawtio Online's name, but a serving certificate (no client-authentication usage):
        // refused in the TLS handshake (-1) or by the extended client check (403)
        assertThat(refusedOrStatus(TestCertificates.https(CERTS.signed("serving", HAWTIO_ONLINE, "serverAuth")), routes)).isIn(-1, 403);
        // Hawtio Online's name on a certificate the CA never signed
        assertThat(refusedOrStatus(TestCertificates.https(CERTS.selfSigned("forged", HAWTIO_ONLINE)), routes)).isIn(-1, 401, 403);
        // and no plain HTTP
        assertThat(refusedOrStatus(HttpClient.newBuilder().connectTimeout(TestCertificates.ANSWER).build(),
                URI.create("http://127.0.0.1:" + jolokia.getAddress().getPort() + "/jolokia" + routes))).isIn(-1, 400);
    }

    private int refusedOrStatus(HttpClient client, String path) {
        return refusedOrStatus(client, uri(jolokia, path));
    }

    private static int refusedOrStatus(HttpClient client, URI uri) {
        try {
            return client.send(HttpRequest.newBuilder(uri).timeout(TestCertificates.ANSWER).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException refused) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private HttpResponse<String> get(HttpClient client, String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(jolokia, path)).timeout(TestCertificates.ANSWER).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(HttpClient client, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(jolokia, "/")).header("Content-Type", "application/json").timeout(TestCertificates.ANSWER)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(SpringJolokiaAgent agent, String path) {
        return URI.create("https://127.0.0.1:" + agent.getAddress().getPort() + "/jolokia" + path);
    }
}
