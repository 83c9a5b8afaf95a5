package io.bridge.webhooks;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The MTU router's test (routes/iterable-webhooks.camel.yaml, {@code when} exempt-event): is the
 * event's name (header {@value IterableWebhookParser#EVENT_NAME}) one of
 * {@code bridge.mtu.exempt-events}? Exact case; spaces around a listed name are ignored.
 *
 * <p>A set made once. Simple's {@code ${header.eventName} in '<the list>'} split the list and
 * built a comparison per name for every event: in arrays of 100 events, about 7% of the bundle's
 * CPU (README, "Where the time goes").
 */
@Component("exemptEventName")
public class ExemptEventName implements Predicate {

    private final Set<String> names;

    public ExemptEventName(@Value("${bridge.mtu.exempt-events}") String names) {
        this.names = Arrays.stream(names.split(",")).map(String::strip).filter(name -> !name.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public boolean matches(Exchange exchange) {
        Object name = exchange.getMessage().getHeader(IterableWebhookParser.EVENT_NAME);
        return name instanceof String s && names.contains(s);
    }

    @Override
    public String toString() {
        return "eventName in bridge.mtu.exempt-events " + names;
    }
}
