package io.bridge.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.webhooks.IterableWebhookProperties.AuthMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.yaml.snakeyaml.Yaml;

/**
 * The webhook intake route of routes/iterable-webhooks.camel.yaml on its own: a Camel context with
 * that file and routes/http-errors.camel.yaml, the real body decoder and parser, the MTU list of
 * ./application.yaml, and mocks where the database would be (AdviceWith). What the route decides
 * (the MTU choice, $source, one store call per delivery, refusals kept, 503 when the store cannot
 * commit) is checked here in milliseconds; IterableWebhookIntakeTest keeps what needs the bundle
 * (HTTP, authentication, the tables' columns, the group commit).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one context for the class; the mocks are reset before each test
class IterableWebhookRouteTest {

    CamelContext camel;
    ProducerTemplate deliveries;
    MockEndpoint store;
    MockEndpoint rejected;
    /** What the store does with a delivery: as EventStore does, every event stored, unless a test says otherwise. */
    static final Processor STORED = exchange -> exchange.getMessage().setBody(
            new StoreResult(exchange.getMessage().getBody(List.class).size(), 0));
    volatile Processor storeAnswers = STORED;

    @BeforeAll
    void theRouteAlone() throws Exception {
        camel = new DefaultCamelContext();
        camel.getRegistry().bind("exemptEventName", new ExemptEventName(String.join(",", shippedExemptEvents())));
        IterableWebhookProperties webhooks = new IterableWebhookProperties(AuthMode.TOKEN, null, null, "t", 1_048_576, 1000, 8_388_608);
        camel.getRegistry().bind("iterableWebhookBody", new IterableWebhookBody(webhooks));
        camel.getRegistry().bind("iterableWebhookParser", new IterableWebhookParser(webhooks));
        for (String file : List.of("http-errors", "iterable-webhooks")) {
            PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.resolveMandatoryResource(camel,
                    "file:routes/" + file + ".camel.yaml"));
        }
        AdviceWith.adviceWith(camel, "iterable-webhook-intake", route -> {
            route.replaceFromWith("direct:delivery");
            route.weaveById("group-commit").replace().to("mock:group-commit").process(exchange -> storeAnswers.process(exchange));
        });
        AdviceWith.adviceWith(camel, "iterable-webhook-rejection",
                route -> route.weaveById("keep-rejected-payload").replace().to("mock:rejected-webhooks"));
        camel.start();
        deliveries = camel.createProducerTemplate();
        store = camel.getEndpoint("mock:group-commit", MockEndpoint.class);
        rejected = camel.getEndpoint("mock:rejected-webhooks", MockEndpoint.class);
    }

    @BeforeEach
    void nothingReceivedYet() {
        store.reset();
        rejected.reset();
        storeAnswers = STORED;
    }

    @AfterAll
    void stop() throws Exception {
        camel.close();
    }

    /** The exempt names as ./application.yaml ships them (bridge.mtu.exempt-events). */
    @SuppressWarnings("unchecked")
    static List<String> shippedExemptEvents() throws IOException {
        for (Object document : new Yaml().loadAll(Files.readString(Path.of("application.yaml")))) {
            Object bridge = document instanceof Map<?, ?> map ? map.get("bridge") : null;
            Object mtu = bridge instanceof Map<?, ?> b ? b.get("mtu") : null;
            if (mtu instanceof Map<?, ?> m && m.get("exempt-events") != null) {
                return Arrays.asList(((String) m.get("exempt-events")).split(","));
            }
        }
        throw new AssertionError("application.yaml sets no bridge.mtu.exempt-events");
    }

    private Exchange deliver(String json) {
        return deliveries.request("direct:delivery", exchange -> {
            exchange.getMessage().setBody(json.getBytes(StandardCharsets.UTF_8));
            exchange.getMessage().setHeader("Content-Type", "application/json");
        });
    }

    private static String event(String name) {
        return "{\"email\":\"a@x.com\",\"eventName\":\"" + name + "\"}";
    }

    /** The events of the one store call so far, as the route left them. */
    @SuppressWarnings("unchecked")
    private List<Message> stored() {
        assertThat(store.getReceivedCounter()).as("store calls").isEqualTo(1);
        return store.getReceivedExchanges().get(0).getMessage().getBody(List.class);
    }

    @Test
    void theSeventeenExemptNamesGoToExemptEventsMarkedWithSource() throws IOException {
        assertThat(shippedExemptEvents()).hasSize(17).containsAll(IterableWebhookIntakeTest.EXEMPT);
        for (String name : IterableWebhookIntakeTest.EXEMPT) {
            store.reset();
            deliver(event(name));
            Message event = stored().get(0);
            assertThat(event.getHeader(EventStore.TABLE)).as(name).isEqualTo("exempt_events");
            assertThat(event.getHeader(EventStore.SOURCE)).as(name).isEqualTo("iterable");
        }
    }

    @Test
    void everyOtherNameIsBillableCaseAndAllOfIt() {
        for (String name : List.of("emailOpen", "emailClick", "pushOpen", "inAppClick", "smsClick", "webPushSend",
                "whatsAppRead", "emailunsubscribe", "emailSendX", "Send")) {
            store.reset();
            deliver(event(name));
            assertThat(stored().get(0).getHeader(EventStore.TABLE)).as(name).isEqualTo("billable_events");
        }
    }

    @Test
    void aListedNameIsExemptInExactCaseWhateverTheSpacesAroundIt() {
        ExemptEventName exempt = new ExemptEventName(" emailSend , pushSend,,");
        for (String name : List.of("emailSend", "pushSend")) {
            assertThat(exempt.matches(named(name))).as(name).isTrue();
        }
        for (String name : List.of("emailsend", " emailSend", "emailOpen", "")) {
            assertThat(exempt.matches(named(name))).as(name).isFalse();
        }
        assertThat(exempt.matches(named(null))).as("no eventName").isFalse();
    }

    private Exchange named(String eventName) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader(IterableWebhookParser.EVENT_NAME, eventName);
        return exchange;
    }

    @Test
    void aBatchIsOneStoreCallWithEachEventClassifiedInOrder() {
        Exchange answer = deliver("[" + event("emailSend") + "," + event("emailOpen") + "," + event("pushSend") + "]");

        assertThat(stored()).extracting(m -> m.getHeader(EventStore.TABLE))
                .containsExactly("exempt_events", "billable_events", "exempt_events");
        assertThat(answer.getMessage().getBody(String.class)).isEqualTo("{\"stored\":3,\"duplicates\":0}");
        assertThat(rejected.getReceivedCounter()).isZero();
    }

    @Test
    void aDeliveryThatIsNotJsonIsKeptAnswered400AndNeverStored() {
        Exchange answer = deliver("not json");

        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(400);
        assertThat(store.getReceivedCounter()).isZero();
        assertThat(rejected.getReceivedCounter()).isEqualTo(1);
        Map<?, ?> record = rejected.getReceivedExchanges().get(0).getMessage().getHeader("CamelJdbcParameters", Map.class);
        assertThat(record.get("status")).isEqualTo(400);
        assertThat(record.get("payload")).isEqualTo("not json");
    }

    @Test
    void aStoreThatCannotCommitIs503WithRetryAfterAndNothingKept() {
        storeAnswers = exchange -> {
            throw new StoreUnavailableException("no commit (test)", null);
        };

        Exchange answer = deliver(event("emailOpen"));

        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(503);
        assertThat(answer.getMessage().getHeader("Retry-After", String.class)).isEqualTo("5");
        assertThat(answer.getMessage().getBody(String.class)).contains("store_unavailable");
        assertThat(rejected.getReceivedCounter()).as("Iterable retries it: nothing to keep").isZero();
    }
}
