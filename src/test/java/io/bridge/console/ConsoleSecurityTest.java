package io.bridge.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.bridge.support.BridgeHttpTest;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The console's sign-in, session and CSRF protection, spoken as a browser speaks HTTP (a cookie jar
 * per browser): who is let in, what a session may change, and that a forged request changes nothing.
 */
class ConsoleSecurityTest extends BridgeHttpTest {

    private static final Pattern HIDDEN_TOKEN = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
    private static final Pattern META_TOKEN = Pattern.compile("<meta name=\"csrf-token\" content=\"([^\"]+)\"");
    private static final Pattern META_HEADER = Pattern.compile("<meta name=\"csrf-header\" content=\"([^\"]+)\"");

    /** A browser: its own cookies, never following a redirect on its own. */
    final class Browser {
        final CookieManager cookies = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
        final HttpClient http = HttpClient.newBuilder().cookieHandler(cookies).build();

        HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> get(String path) throws Exception {
            return send(HttpRequest.newBuilder(uri(path)));
        }

        HttpResponse<String> signIn(String user, String password) throws Exception {
            HttpResponse<String> page = get("/login");
            assertThat(page.statusCode()).isEqualTo(200);
            String form = "username=" + enc(user) + "&password=" + enc(password) + "&_csrf=" + enc(find(HIDDEN_TOKEN, page.body()));
            return send(HttpRequest.newBuilder(uri("/login")).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)));
        }

        /** The console's sign-out button: a form with the page's token. */
        HttpResponse<String> signOut() throws Exception {
            String form = "_csrf=" + enc(find(HIDDEN_TOKEN, get("/").body()));
            return send(HttpRequest.newBuilder(uri("/logout")).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)));
        }

        /** A change through the API as the console's script makes it: the session, and the page's token in its header. */
        HttpResponse<String> change(String method, String path, String json, boolean withToken) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                    .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
            if (withToken) {
                String console = get("/").body();
                request.header(find(META_HEADER, console), find(META_TOKEN, console));
            }
            return send(request);
        }

        String session() {
            return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("SESSION")).map(HttpCookie::getValue)
                    .findFirst().orElse(null);
        }
    }

    private static void redirectsTo(HttpResponse<String> answer, String location) {
        assertThat(answer.statusCode()).isEqualTo(302);
        assertThat(answer.headers().firstValue("Location")).as("relative: never built from the Host header").hasValue(location);
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String find(Pattern pattern, String text) {
        Matcher match = pattern.matcher(text);
        assertThat(match.find()).as("%s in %s", pattern, text).isTrue();
        return match.group(1);
    }

    @Test
    void aBrowserWithoutASessionIsSentToSignInAndTheSignInPageMakesNoSession() throws Exception {
        Browser browser = new Browser();
        redirectsTo(browser.get("/"), "/login");
        redirectsTo(browser.send(HttpRequest.newBuilder(uri("/")).header("X-Forwarded-Host", "evil.example")), "/login");

        HttpResponse<String> page = browser.get("/login");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<form", "name=\"password\"", "name=\"_csrf\"");
        assertThat(browser.session()).as("a visitor of the sign-in page gets no session").isNull();
        assertThat(count("SPRING_SESSION")).isZero();
        assertThat(browser.get("/api/exports").statusCode()).as("the API still answers 401, not a page").isEqualTo(401);
    }

    @Test
    void theSignInAndSignOutFormsNeedTheirTokenAndTheScriptGetsNoPasswordDialog() throws Exception {
        Browser browser = new Browser();
        browser.get("/login");
        HttpResponse<String> noToken = browser.send(HttpRequest.newBuilder(uri("/login")).header("Content-Type",
                "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("username=test-admin&password=test-admin-password")));
        assertThat(noToken.statusCode()).as("login CSRF").isEqualTo(403);
        assertThat(browser.session()).isNull();

        assertThat(browser.signIn("test-admin", "test-admin-password").statusCode()).isEqualTo(302);
        HttpResponse<String> forgedSignOut = browser.send(HttpRequest.newBuilder(uri("/logout")).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(forgedSignOut.statusCode()).isEqualTo(403);
        assertThat(count("SPRING_SESSION")).as("still signed in").isEqualTo(1);

        HttpResponse<String> script = send(HttpRequest.newBuilder(uri("/api/exports")).header("X-Requested-With", "console").build());
        assertThat(script.statusCode()).isEqualTo(401);
        assertThat(script.headers().firstValue("WWW-Authenticate")).as("no browser password dialog").isEmpty();
    }

    @Test
    void aWrongPasswordIsRefusedAndMakesNoSession() throws Exception {
        Browser browser = new Browser();
        HttpResponse<String> refused = browser.signIn("test-admin", "not-the-password");
        redirectsTo(refused, "/login?error");
        assertThat(browser.get("/login?error").body()).contains("Wrong user name or password");
        assertThat(browser.get("/").statusCode()).isEqualTo(302);
        assertThat(count("SPRING_SESSION")).isZero();
    }

    @Test
    void anAdminsSessionIsKeptInTheDatabaseAndChangesNeedTheConsolesToken() throws Exception {
        Browser browser = new Browser();
        HttpResponse<String> signedIn = browser.signIn("test-admin", "test-admin-password");
        redirectsTo(signedIn, "/");
        assertThat(signedIn.headers().allValues("Set-Cookie")).anySatisfy(cookie -> assertThat(cookie).startsWith("SESSION=")
                .containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Strict"));
        assertThat(count("SPRING_SESSION")).as("shared by every replica").isEqualTo(1);

        HttpResponse<String> console = browser.get("/");
        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.body()).contains("test-admin", "data-admin=\"true\"", "id=\"connect-form\"");
        assertThat(console.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                .contains("script-src 'self'", "frame-ancestors 'none'"));
        assertThat(browser.get("/api/exports").statusCode()).as("the API reads with the session").isEqualTo(200);

        // a page of another site makes the browser post with its cookies, but cannot know the token
        HttpResponse<String> forged = browser.change("PUT", "/api/integration", "{\"dataCenter\":\"US\",\"apiKeyRef\":\"ITERABLE_API_KEY\"}", false);
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(json(forged).path("message").asText()).contains("CSRF token");
        HttpResponse<String> forgedStop = browser.change("DELETE", "/api/integration", null, false);
        assertThat(forgedStop.statusCode()).isEqualTo(403);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_log", Integer.class)).as("nothing changed").isZero();

        HttpResponse<String> disconnect = browser.change("DELETE", "/api/integration", null, true);
        assertThat(disconnect.statusCode()).as(disconnect.body()).isEqualTo(200);
        assertThat(jdbc.queryForObject("SELECT actor FROM audit_log WHERE action = 'integration.disconnect'", String.class))
                .as("audited as the signed-in user").contains("test-admin");

        HttpResponse<String> signedOut = browser.signOut();
        redirectsTo(signedOut, "/login?signed-out");
        assertThat(count("SPRING_SESSION")).isZero();
        assertThat(browser.get("/api/exports").statusCode()).isEqualTo(401);
    }

    @Test
    void aViewersPageHasNoControlAndTheApiRefusesAViewersChangeEvenWithTheToken() throws Exception {
        Browser browser = new Browser();
        assertThat(browser.signIn("test-viewer", "test-viewer-password").statusCode()).isEqualTo(302);
        HttpResponse<String> console = browser.get("/");
        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.body()).contains("test-viewer", "data-admin=\"false\"").doesNotContain("connect-form", "disconnect");

        HttpResponse<String> change = browser.change("DELETE", "/api/integration", null, true);
        assertThat(change.statusCode()).isEqualTo(403);
        assertThat(json(change).path("message").asText()).contains("test-viewer may only read");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_log", Integer.class)).isZero();
    }

    @Test
    void scriptsKeepBasicWithoutATokenButABrowsersCrossSiteRequestNeedsOne() throws Exception {
        HttpResponse<String> script = request("DELETE", "/api/integration", null, java.util.Map.of());
        assertThat(script.statusCode()).as(script.body()).isEqualTo(200);
        assertThat(script.headers().allValues("Set-Cookie")).as("no session for a script").noneMatch(c -> c.startsWith("SESSION="));

        // a browser that remembers Basic credentials sends them with a forged request too; it says where it came from
        for (java.util.Map<String, String> forged : java.util.List.of(java.util.Map.of("Sec-Fetch-Site", "cross-site"),
                java.util.Map.of("Sec-Fetch-Site", "same-site"),
                java.util.Map.of("Origin", "https://evil.example"))) { // an older browser, or plain HTTP: no Sec-Fetch-Site
            HttpResponse<String> crossSite = request("DELETE", "/api/integration", null, forged);
            assertThat(crossSite.statusCode()).as(forged.toString()).isEqualTo(403);
            assertThat(json(crossSite).path("message").asText()).contains("CSRF token")
                    .contains("comes from another site (Sec-Fetch-Site or Origin)").doesNotContain("in the Authorization header instead");
        }
        HttpResponse<String> ownPage = request("DELETE", "/api/integration", null, java.util.Map.of("Sec-Fetch-Site", "same-origin"));
        assertThat(ownPage.statusCode()).isEqualTo(200);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM audit_log", Integer.class)).as("only the script's changes").isEqualTo(2);
    }
}
