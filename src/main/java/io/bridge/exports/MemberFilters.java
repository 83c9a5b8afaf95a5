package io.bridge.exports;

import io.bridge.mixpanel.CohortMember;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The conditions of the per-member filters of routes/cohort-export.camel.yaml ({@code ref} expressions).
 * They run once per cohort member, a million times for a large cohort: plain predicates on the
 * body, not a bean or OGNL expression, which would copy the exchange's properties for every member.
 */
@Configuration(proxyBeanMethods = false)
class MemberFilters {

    /** The member (body) has no email. */
    @Bean
    Predicate memberWithoutEmail() {
        return exchange -> exchange.getMessage().getBody(CohortMember.class).email() == null;
    }

    /** An earlier member of the run had the member's email (body); from now on the email counts as seen. */
    @Bean
    Predicate emailSeenBefore() {
        return exchange -> exchange.getMessage().getBody() instanceof CohortMember member
                && !exchange.getProperty("run", ExportRun.class).firstWithEmail(member);
    }
}
