package io.bridge.fakes;

import com.sun.net.httpserver.HttpServer;
import io.bridge.fakes.FakeMixpanel.Member;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Both stand-ins in their own process, for bench/cohort-export.sh: a cohort of N members, and a
 * control port with {@code POST /churn?members=K} (K leave, K join) and {@code GET /stats}.
 *
 * <pre>java -Dloader.main=io.bridge.fakes.StandInServer -cp bridge.jar org.springframework.boot.loader.launch.PropertiesLauncher \
 *      MIXPANEL_PORT ITERABLE_PORT CONTROL_PORT MEMBERS</pre>
 */
public final class StandInServer {

    public static void main(String[] args) throws Exception {
        int members = Integer.parseInt(args[3]);
        FakeMixpanel mixpanel = new FakeMixpanel(Integer.parseInt(args[0]), "1", "bench", "bench-secret");
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
                    + ",\"listSize\":" + size + "}");
        });
        control.start();
        System.out.println("stand-ins ready: " + members + " members");
    }

    private static void reply(com.sun.net.httpserver.HttpExchange exchange, String body) throws java.io.IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
