package io.bridge.startup;

import org.apache.camel.CamelContext;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.stereotype.Component;

/**
 * The bridge runs on Camel's default exchange factory (prototype: a new exchange per message). With
 * {@code camel.main.exchange-factory: pooled} the webhook intake answered 500 on nearly every delivery
 * under load: the events' bodies were gone by the time the group commit read the split's messages
 * (measured: README, "Where the time goes"). Before any route starts, this stops the start instead,
 * saying which setting to remove ({@link StartupRefusedAnalyzer}).
 */
@Component
class ExchangeFactoryCheck implements CamelContextConfiguration {

    static final String SETTING = "camel.main.exchange-factory";

    @Override
    public void beforeApplicationStart(CamelContext camelContext) {
        if (camelContext.getCamelContextExtension().getExchangeFactory().isPooled()) {
            throw new StartupRefusedException("Camel is set to reuse exchanges (" + SETTING + ": pooled). The webhook intake "
                    + "regroups each delivery's events for one commit and needs every event's message whole until then: with "
                    + "pooled exchanges, deliveries fail with 500.",
                    "Remove " + SETTING + " (or set it to prototype, the default), wherever it is set: application.yaml, "
                    + "the environment (CAMEL_MAIN_EXCHANGEFACTORY) or the command line.");
        }
    }

    @Override
    public void afterApplicationStart(CamelContext camelContext) {
        // nothing to check once started
    }
}
