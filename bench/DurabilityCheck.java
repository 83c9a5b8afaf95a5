import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Durability check of the webhook intake, run by bench/webhooks.sh.
 *
 *   load URL TOKEN SECONDS CONNECTIONS ACK_FILE   posts unique events until the bundle dies or time is
 *                                                  up; writes the messageId of every 2xx to ACK_FILE
 *   verify JDBC_URL ACK_FILE                       every acknowledged messageId must be in the database
 *                                                  (HSQLDB as SA; PostgreSQL as -Ddb.user, with PGPASSWORD)
 */
public class DurabilityCheck {

    public static void main(String[] args) throws Exception {
        if (args[0].equals("load")) {
            load(URI.create(args[1]), args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]), Path.of(args[5]));
        } else {
            System.exit(verify(args[1], Path.of(args[2])));
        }
    }

    static void load(URI url, String token, int seconds, int connections, Path ackFile) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicBoolean dead = new AtomicBoolean();
        List<String> acked = Collections.synchronizedList(new ArrayList<>());
        List<Thread> senders = new ArrayList<>();
        int[] failures = new int[1];
        for (int c = 0; c < connections; c++) {
            int sender = c;
            Thread t = new Thread(() -> {
                for (int i = 0; System.nanoTime() < deadline && !dead.get(); i++) {
                    String id = "kill-" + sender + "-" + i;
                    String body = "{\"email\":\"u" + (i % 1000) + "@kill.example\",\"eventName\":\""
                            + (i % 2 == 0 ? "emailSend" : "emailOpen") + "\",\"dataFields\":{\"createdAt\":"
                            + "\"2026-11-02 18:51:45 +00:00\",\"messageId\":\"" + id + "\"}}";
                    try {
                        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                                .header("Content-Type", "application/json").header("Authorization", "OAuth2 " + token)
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() / 100 == 2) {
                            acked.add(id);
                        }
                    } catch (Exception e) {
                        synchronized (failures) {
                            if (++failures[0] > connections * 4) {
                                dead.set(true); // the bundle is gone
                            }
                        }
                    }
                }
            });
            t.start();
            senders.add(t);
        }
        for (Thread t : senders) {
            t.join();
        }
        Files.write(ackFile, acked);
        System.out.println("acknowledged " + acked.size() + " events");
    }

    static int verify(String jdbcUrl, Path ackFile) throws Exception {
        List<String> acked = Files.readAllLines(ackFile);
        Set<String> stored = new HashSet<>();
        boolean hsqldb = jdbcUrl.startsWith("jdbc:hsqldb:");
        String password = hsqldb || System.getenv("PGPASSWORD") == null ? "" : System.getenv("PGPASSWORD");
        try (Connection c = DriverManager.getConnection(jdbcUrl, hsqldb ? "SA" : System.getProperty("db.user"), password)) {
            for (String table : List.of("exempt_events", "billable_events")) {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT message_id FROM " + table)) {
                    while (rs.next()) {
                        stored.add(rs.getString(1));
                    }
                }
            }
            if (hsqldb) {
                c.createStatement().execute("SHUTDOWN");
            }
        }
        long missing = acked.stream().filter(id -> !stored.contains(id)).count();
        System.out.println("acknowledged=" + acked.size() + " stored=" + stored.size() + " missing=" + missing);
        return missing == 0 ? 0 : 1;
    }
}
