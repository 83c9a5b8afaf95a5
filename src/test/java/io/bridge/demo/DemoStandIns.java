package io.bridge.demo;

import io.bridge.fakes.FakeIterable;
import io.bridge.fakes.FakeMixpanel;
import io.bridge.fakes.FakeMixpanel.Member;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;

/**
 * The "demo" profile: local stand-ins for Mixpanel and Iterable, so that someone without accounts
 * can watch a cohort export work. A sample cohort of 24 users (4 without email) loses two members
 * and gains two on every run after the first; cohort 1234 is there for the README's control-plane
 * examples. The Iterable stand-in takes the key {@link DemoCredentials} made up as ITERABLE_API_KEY.
 * Only under {@code --spring.profiles.active=demo}.
 */
@Configuration(proxyBeanMethods = false)
@Profile("demo")
class DemoStandIns {

    private static final Logger log = LoggerFactory.getLogger("demo");
    static final long COHORT = 1001;
    static final long README_COHORT = 1234;

    @Bean(destroyMethod = "close")
    FakeMixpanel demoMixpanel(@Value("${bridge.demo.mixpanel-port}") int port, @Value("${bridge.mixpanel.project-id}") String project,
            @Value("${bridge.mixpanel.username}") String user, @Value("${bridge.mixpanel.secret}") String secret,
            @Value("${bridge.mixpanel.queries-per-hour}") int queriesPerHour) {
        // syncs every 30 s would use up Mixpanel's 60 queries an hour: the stand-in allows the demo's
        // budget instead (application.yaml), and 5 at once, as Mixpanel
        FakeMixpanel mixpanel = new FakeMixpanel(port, project, user, secret).limits(queriesPerHour, FakeMixpanel.MAX_CONCURRENT);
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= 24; i++) {
            members.add(new Member("user-" + i, i % 6 == 0 ? null : "user" + i + "@demo.example"));
        }
        mixpanel.cohort(COHORT, "Demo power users", members);
        int[] next = {25};
        mixpanel.changeOnEachRun(COHORT, current -> {
            List<Member> changed = new ArrayList<>(current.subList(2, current.size()));
            for (int i = 0; i < 2; i++, next[0]++) {
                changed.add(new Member("user-" + next[0], "user" + next[0] + "@demo.example"));
            }
            log.info("[stand-in Mixpanel] cohort {} changed: {} and {} left, {} and {} joined", COHORT,
                    current.get(0).distinctId(), current.get(1).distinctId(), "user-" + (next[0] - 2), "user-" + (next[0] - 1));
            return changed;
        });
        // the README's control-plane examples export, run and stop cohort 1234 (1001 is declared in configuration)
        List<Member> power = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            power.add(new Member("power-" + i, i % 6 == 0 ? null : "power" + i + "@demo.example"));
        }
        mixpanel.cohort(README_COHORT, "Power users", power);
        log.info("[stand-in Mixpanel] on {} with cohort {} 'Demo power users' (24 members, 4 without email), exported every 30 s, "
                + "and cohort {} 'Power users' (12 members, 2 without email) for the README's control-plane examples",
                mixpanel.baseUrl(), COHORT, README_COHORT);
        return mixpanel;
    }

    @Bean(destroyMethod = "close")
    FakeIterable demoIterable(@Value("${bridge.demo.iterable-port}") int port, @Value("${ITERABLE_API_KEY}") String key) {
        FakeIterable iterable = new FakeIterable(port, key);
        iterable.onChange((list, size) -> log.info("[stand-in Iterable] list '{}' now holds {} members: {}", list, size,
                iterable.members(list)));
        log.info("[stand-in Iterable] on {}: each change of a list is logged here", iterable.baseUrl());
        return iterable;
    }
}
