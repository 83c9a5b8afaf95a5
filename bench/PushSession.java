import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Posts one members session of Mixpanel's cohort-sync webhook, as Mixpanel does, for
 * bench/cohort-push.sh: members user{FIRST}..user{FIRST+MEMBERS-1}@bench.example of cohort 1
 * ("Bench cohort"), 1,000 a page, CONCURRENCY pages at a time. Prints how long each page took to be
 * acknowledged (p50, p99, max) and fails unless every page got 200.
 *
 *   java bench/PushSession.java URL USER:PASSWORD SESSION FIRST MEMBERS CONCURRENCY
 */
public class PushSession {

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        String auth = "Basic " + Base64.getEncoder().encodeToString(args[1].getBytes());
        String session = args[2];
        int first = Integer.parseInt(args[3]);
        int members = Integer.parseInt(args[4]);
        int concurrency = Integer.parseInt(args[5]);
        int pageSize = 1000;
        int pages = (members + pageSize - 1) / pageSize;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        long start = System.nanoTime();
        List<Future<?>> sent = new ArrayList<>();
        for (int p = 1; p <= pages; p++) {
            int page = p;
            sent.add(pool.submit(() -> {
                String body = page(session, page, pages, first + (page - 1) * pageSize, Math.min(pageSize, members - (page - 1) * pageSize));
                HttpRequest request = HttpRequest.newBuilder(url).header("Content-Type", "application/json").header("Authorization", auth)
                        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
                long t0 = System.nanoTime();
                HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
                latencies.add(System.nanoTime() - t0);
                if (answer.statusCode() != 200 || !answer.body().contains("\"success\"")) {
                    refused.incrementAndGet();
                    System.err.println("page " + page + ": " + answer.statusCode() + " " + answer.body());
                }
                return null;
            }));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("pages %d acknowledged %d in %.1f s, ack p50 %.0f ms p99 %.0f ms max %.0f ms%n", pages, pages - refused.get(),
                seconds, at(sorted, 0.50), at(sorted, 0.99), sorted.get(sorted.size() - 1) / 1e6);
        if (refused.get() > 0) {
            System.exit(1);
        }
    }

    static double at(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)) / 1e6;
    }

    static String page(String session, int page, int pages, int from, int count) {
        StringBuilder body = new StringBuilder(count * 110 + 400);
        body.append("{\"action\":\"members\",\"parameters\":{\"mixpanel_project_id\":\"1\",\"mixpanel_cohort_id\":\"1\",")
                .append("\"mixpanel_cohort_name\":\"Bench cohort\",\"mixpanel_cohort_description\":\"\",\"mixpanel_session_id\":\"")
                .append(session).append("\",\"page_info\":{\"total_pages\":").append(pages).append(",\"page_count\":").append(page)
                .append("},\"members\":[");
        for (int i = 0; i < count; i++) {
            int n = from + i;
            body.append(i == 0 ? "" : ",").append("{\"email\":\"user").append(n).append("@bench.example\",\"mixpanel_distinct_id\":\"d")
                    .append(n).append("\",\"first_name\":\"F\",\"last_name\":\"L\"}");
        }
        return body.append("]}}").toString();
    }
}
