package io.bridge.fakes;

import com.sun.net.httpserver.HttpServer;
import io.bridge.fakes.FakeMixpanel.Member;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Both stand-ins in their own process, for bench/cohort-export.sh: a cohort of N members, and a
 * control port with {@code POST /churn?members=K} (K leave, K join) and {@code GET /stats} (calls,
 * the list's size, and the protocol violations the stand-ins saw: their count and the first ten).
 * Mixpanel's limits are its real ones (60 queries an hour, 5 at once) unless QUERIES_PER_HOUR
 * raises the hourly one, as a benchmark whose bundle has a larger budget must.
 *
 * The stats also say what Mixpanel's /import took: {@code imported} (events, once each as Mixpanel
 * counts them), {@code received} (events in accepted requests, resends included) and
 * {@code importRequests}; with {@code -Dstandins.keep-events=false} the imported events are counted
 * but not kept (bench/forwarding.sh's million).
 *
 * <pre>java -Dloader.main=io.bridge.fakes.StandInServer -cp bridge.jar org.springframework.boot.loader.launch.PropertiesLauncher \
 *      MIXPANEL_PORT ITERABLE_PORT CONTROL_PORT MEMBERS [QUERIES_PER_HOUR]</pre>
 * and {@code -Dloader.path=target/test-classes} before {@code -Dloader.main}: the stand-ins are test code, not in bridge.jar.
 */
public final class StandInServer {

    public static void main(String[] args) throws Exception {
        int members = Integer.parseInt(args[3]);
        FakeMixpanel mixpanel = new FakeMixpanel(Integer.parseInt(args[0]), "1", "bench", "bench-secret")
                .limits(args.length > 4 ? Integer.parseInt(args[4]) : FakeMixpanel.QUERIES_PER_HOUR, FakeMixpanel.MAX_CONCURRENT)
                .keepEvents(!"false".equals(System.getProperty("standins.keep-events")));
        FakeIterable iterable = new FakeIterable(Integer.parseInt(args[1]), "bench-key");
        List<Member> cohort = new ArrayList<>(members);
        for (int i = 0; i < members; i++) {
            cohort.add(new Member("d" + i, "user" + i + "@bench.example"));
        }
        mixpanel.cohort(1, "Bench cohort", cohort);
        int[] next = {members};
        HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[2])), 0);
        control.createContext("/churn", exchange -> {
            int k = Integer.parseInt(exchange.getRequestURI().getQuery().replace("members=", ""));
            List<Member> changed = new ArrayList<>(cohort.subList(k, cohort.size()));
            for (int i = 0; i < k; i++, next[0]++) {
                changed.add(new Member("d" + next[0], "user" + next[0] + "@bench.example"));
            }
            cohort.clear();
            cohort.addAll(changed);
            mixpanel.cohort(1, "Bench cohort", changed);
            reply(exchange, "{\"members\":" + changed.size() + "}");
        });
        control.createContext("/stats", exchange -> {
            Integer size = iterable.members("mixpanel_Bench cohort_1") == null ? null : iterable.members("mixpanel_Bench cohort_1").size();
            reply(exchange, "{\"subscribeCalls\":" + iterable.calls("/api/lists/subscribe") + ",\"unsubscribeCalls\":"
                    + iterable.calls("/api/lists/unsubscribe") + ",\"engageCalls\":" + mixpanel.calls("/api/query/engage")
                    + ",\"listSize\":" + size + ",\"imported\":" + mixpanel.importedCount() + ",\"received\":"
                    + mixpanel.receivedEvents() + ",\"importRequests\":" + mixpanel.importRequests()
                    + ",\"violations\":" + violations(mixpanel, iterable) + "}");
        });
        control.start();
        System.out.println("stand-ins ready: " + members + " members");
    }

    /** {"count":N,"first":["...", ...]}: what the stand-ins refused or recorded, the first ten. */
    private static String violations(FakeMixpanel mixpanel, FakeIterable iterable) {
        List<FakeHttpApi.Violation> all = new ArrayList<>(mixpanel.violations());
        all.addAll(iterable.violations());
        com.fasterxml.jackson.databind.node.ObjectNode answer = FakeHttpApi.JSON.createObjectNode().put("count", all.size());
        all.stream().limit(10).forEach(v -> answer.withArray("first").add(v.toString()));
        return answer.toString();
    }

    private static void reply(com.sun.net.httpserver.HttpExchange exchange, String body) throws java.io.IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
