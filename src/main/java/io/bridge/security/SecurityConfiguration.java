package io.bridge.security;

import io.bridge.http.Problems;
import io.bridge.mixpanel.CohortPush;
import io.bridge.mixpanel.MixpanelWebhookAuthenticator;
import io.bridge.startup.StartupRefusedException;
import io.bridge.webhooks.IterableWebhookAuthenticator;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.task.TaskDecorator;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.authentication.dao.DaoAuthenticationProvider;
import org.springframework.security.concurrent.DelegatingSecurityContextRunnable;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.authentication.AuthenticationSuccessHandler;
import org.springframework.security.web.authentication.SimpleUrlAuthenticationFailureHandler;
import org.springframework.security.web.authentication.SimpleUrlAuthenticationSuccessHandler;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.security.web.authentication.logout.SimpleUrlLogoutSuccessHandler;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.security.web.csrf.CsrfTokenRequestHandler;
import org.springframework.security.web.csrf.XorCsrfTokenRequestAttributeHandler;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Who may do what. Webhooks keep their own credentials (bridge.webhooks.iterable, .mixpanel), so Spring
 * Security stays out of /webhooks/**. Health is open for Kubernetes probes. Everything else needs a
 * user: HTTP Basic, or the console's sign-in. VIEWER may GET /api/** and the console, ADMIN may do
 * everything (the rest of the actuator included).
 * The Jolokia agent on its own port lets in the same ADMIN ({@link JolokiaAdminAuthenticator}).
 * Answers 401 and 403 as JSON that says what is missing.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);
    private static final Pattern ENCODED = Pattern.compile("^\\{[A-Za-z0-9_.-]+\\}.+");
    /** The methods Spring Security's firewall lets through (StrictHttpFirewall's default). */
    private static final List<String> FIREWALL_METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    private static final PasswordEncoder PASSWORDS = PasswordEncoderFactories.createDelegatingPasswordEncoder();

    /**
     * Webhooks authenticate on the Authorization header alone, before any byte of the body is read;
     * other methods and paths fall through to a JSON 405/404.
     */
    @Bean
    @Order(1)
    SecurityFilterChain webhooks(HttpSecurity http, IterableWebhookAuthenticator iterable, MixpanelWebhookAuthenticator mixpanel)
            throws Exception {
        // paths of the whole request: /webhooks/* is Camel's servlet, not Spring MVC's
        PathPatternRequestMatcher.Builder path = PathPatternRequestMatcher.withDefaults();
        return http.securityMatcher(path.matcher("/webhooks/**"))
                .authorizeHttpRequests(requests -> requests
                        .requestMatchers(path.matcher(HttpMethod.POST, "/webhooks/iterable")).access(iterable)
                        .requestMatchers(path.matcher(HttpMethod.POST, "/webhooks/mixpanel")).access(mixpanel)
                        .anyRequest().permitAll())
                .exceptionHandling(errors -> errors.authenticationEntryPoint((request, response, e) -> {
                    Object mixpanelRefusal = request.getAttribute(MixpanelWebhookAuthenticator.REFUSAL);
                    if (mixpanelRefusal != null) { // the answer Mixpanel's webhook destination reads
                        response.setHeader("WWW-Authenticate", "Basic realm=\"mixpanel-webhooks\"");
                        response.setStatus(401);
                        response.setContentType("application/json");
                        new com.fasterxml.jackson.databind.ObjectMapper().writeValue(response.getOutputStream(),
                                CohortPush.failure(null, 401, mixpanelRefusal + ": give Mixpanel's webhook destination the "
                                        + "credentials of bridge.webhooks.mixpanel"));
                        return;
                    }
                    response.setHeader("WWW-Authenticate", iterable.challenge());
                    Object refusal = request.getAttribute(IterableWebhookAuthenticator.REFUSAL);
                    Problems.write(response, 401, "unauthorized", (refusal == null ? "unauthorized" : refusal)
                            + ": use the Authorization header configured for this bridge (bridge.webhooks.iterable.auth)");
                }))
                .anonymous(anonymous -> anonymous.principal("webhook-sender"))
                .csrf(csrf -> csrf.disable())
                .requestCache(cache -> cache.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .build();
    }

    /**
     * The control plane: the JSON API under /api (HTTP Basic for scripts, or the console's session)
     * and the console's pages (a sign-in form, then a session kept in the database, so that any
     * replica serves it). A state change made with the session needs its CSRF token; one made with
     * credentials in the Authorization header needs none, unless a browser says it comes from another
     * site (Sec-Fetch-Site, or Origin), since a browser may send Basic credentials it remembers on its own.
     */
    @Bean
    @Order(2)
    SecurityFilterChain controlPlane(HttpSecurity http, SecurityProperties users) throws Exception {
        AuthenticationEntryPoint basic = (request, response, e) -> {
            if (request.getHeader("X-Requested-With") == null) { // the console's script: no browser password dialog
                response.setHeader("WWW-Authenticate", "Basic realm=\"bridge\"");
            }
            Problems.write(response, 401, "unauthorized", "send HTTP Basic credentials of a bridge user "
                    + "(bridge.security.admin or bridge.security.viewer)");
        };
        LoginUrlAuthenticationEntryPoint signIn = new LoginUrlAuthenticationEntryPoint("/login");
        signIn.setFavorRelativeUris(true); // Location: /login, never built from the request's Host header
        return http
                .authorizeHttpRequests(requests -> requests
                        // the JSON answer to a request already let in (404, 405): no second login
                        .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
                        .requestMatchers("/error").permitAll() // asked for directly: a JSON 404
                        .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
                        .requestMatchers(HttpMethod.GET, "/login", "/console/**").permitAll() // the sign-in page and its style
                        // webjars are served where the pages need them (Swagger UI: /api/docs/), not whole
                        .requestMatchers("/webjars/**").denyAll()
                        .requestMatchers(HttpMethod.GET, "/", "/api/**").hasAnyRole("ADMIN", "VIEWER")
                        .requestMatchers(HttpMethod.HEAD, "/", "/api/**").hasAnyRole("ADMIN", "VIEWER") // a GET without its body
                        .anyRequest().hasRole("ADMIN"))
                .httpBasic(httpBasic -> httpBasic.realmName("bridge").authenticationEntryPoint(basic))
                .formLogin(form -> form.loginPage("/login").successHandler(signedIn(users)).failureHandler(signInRefused()))
                .addFilterAfter(new ConsoleSessions.Check(users), SecurityContextHolderFilter.class)
                // signing out is the console's (a script has no session): back to the sign-in page, whatever Accept says
                .logout(logout -> logout.logoutSuccessHandler(signedOut()))
                .exceptionHandling(errors -> errors
                        .authenticationEntryPoint((request, response, e) -> (consolePage(request) ? signIn : basic).commence(request, response, e))
                        .accessDeniedHandler((request, response, e) -> Problems.write(response, 403, "forbidden", refusal(request, e))))
                // the token in a cookie (and in the page): a visitor of the sign-in page gets no session row
                .csrf(csrf -> csrf.csrfTokenRepository(csrfCookie()).csrfTokenRequestHandler(new HeaderOrSignInForm())
                        .ignoringRequestMatchers(SecurityConfiguration::needsNoCsrfToken))
                .requestCache(cache -> cache.disable())
                .headers(headers -> headers.contentSecurityPolicy(csp -> csp.policyDirectives("default-src 'self'; "
                        + "script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                        + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")))
                .build();
    }

    /**
     * The CSRF token comes in the console script's header; only the sign-in and sign-out forms send it
     * as a form field. Any other request without the header is refused without its body being read.
     */
    private static final class HeaderOrSignInForm implements CsrfTokenRequestHandler {
        private final XorCsrfTokenRequestAttributeHandler xor = new XorCsrfTokenRequestAttributeHandler();

        @Override
        public void handle(HttpServletRequest request, HttpServletResponse response, Supplier<CsrfToken> token) {
            xor.handle(request, response, token);
        }

        @Override
        public String resolveCsrfTokenValue(HttpServletRequest request, CsrfToken token) {
            if (request.getHeader(token.getHeaderName()) == null && !signInForm(request)) {
                return null;
            }
            return xor.resolveCsrfTokenValue(request, token);
        }
    }

    /** To the console, the session bound to the user's settings as they are now ({@link ConsoleSessions}). */
    private static AuthenticationSuccessHandler signedIn(SecurityProperties users) {
        SimpleUrlAuthenticationSuccessHandler toConsole = new SimpleUrlAuthenticationSuccessHandler("/");
        toConsole.setAlwaysUseDefaultTargetUrl(true);
        return (request, response, user) -> {
            request.getSession().setAttribute(ConsoleSessions.USER_SETTINGS, ConsoleSessions.settingsOf(users, user.getName()));
            toConsole.onAuthenticationSuccess(request, response, user);
        };
    }

    private static SimpleUrlLogoutSuccessHandler signedOut() {
        SimpleUrlLogoutSuccessHandler signedOut = new SimpleUrlLogoutSuccessHandler();
        signedOut.setDefaultTargetUrl("/login?signed-out");
        return signedOut;
    }

    /** A refused sign-in goes back to the form; it makes no session (Spring's default keeps the error in one). */
    private static SimpleUrlAuthenticationFailureHandler signInRefused() {
        SimpleUrlAuthenticationFailureHandler refused = new SimpleUrlAuthenticationFailureHandler("/login?error");
        refused.setAllowSessionCreation(false);
        return refused;
    }

    private static CookieCsrfTokenRepository csrfCookie() {
        CookieCsrfTokenRepository cookie = new CookieCsrfTokenRepository(); // HttpOnly: the page carries the token for its script
        cookie.setCookieCustomizer(c -> c.sameSite("Strict"));
        return cookie;
    }

    /** The console's pages (itself, the API's Swagger UI) send a browser to sign in; everything else answers 401 as JSON. */
    private static boolean consolePage(HttpServletRequest request) {
        return "GET".equals(request.getMethod()) && ("/".equals(request.getRequestURI()) || "/api/docs".equals(request.getRequestURI()));
    }

    /**
     * Requests no forged page can make count on a session: credentials in the Authorization header of
     * a request no browser marked as coming from another site (a script: curl, a CI job: no
     * Sec-Fetch-Site and no Origin, or a browser's own same-origin request), or a request with neither
     * credentials nor any cookie (refused as anonymous: 401). The sign-in and sign-out forms always
     * need their token.
     */
    static boolean needsNoCsrfToken(HttpServletRequest request) {
        if (signInForm(request)) {
            return false;
        }
        if (request.getHeader("Authorization") == null) {
            return request.getHeader("Cookie") == null;
        }
        String site = request.getHeader("Sec-Fetch-Site");
        if (site == null) { // an older browser, or plain HTTP: any cross-origin POST, PUT or DELETE carries Origin
            return request.getHeader("Origin") == null;
        }
        return site.equals("same-origin") || site.equals("none");
    }

    private static boolean signInForm(HttpServletRequest request) {
        return "POST".equals(request.getMethod())
                && ("/login".equals(request.getServletPath()) || "/logout".equals(request.getServletPath()));
    }

    /**
     * platform-http hands each request to the application task executor: the user who sent it
     * travels along, so that routes (the audit trail) know who made a change.
     */
    @Bean
    TaskDecorator securityContextPropagation() {
        return DelegatingSecurityContextRunnable::new;
    }

    /** Why a signed-in caller (or a request with credentials) was refused, in words that fit its case. */
    private static String refusal(HttpServletRequest request, Exception e) {
        if (e instanceof CsrfException || request.getUserPrincipal() == null) {
            return request.getHeader("Authorization") != null
                    ? "a browser said this request comes from another site (Sec-Fetch-Site or Origin): with credentials, that needs "
                            + "the console's CSRF token too; send it from the console, or from a script, which sends neither header"
                    : "the request lacks the console's CSRF token: reload the console and try again; a script sends its "
                            + "credentials in the Authorization header instead";
        }
        String user = request.getUserPrincipal().getName();
        if (HttpMethod.GET.matches(request.getMethod()) || HttpMethod.HEAD.matches(request.getMethod())) {
            return user + " may read /api/** and the console; nothing else is served to it at this path";
        }
        return user + " may only read (GET); " + request.getMethod() + " " + request.getRequestURI() + " needs the ADMIN role";
    }

    /**
     * A request Spring Security's firewall refuses before anything reads it (an encoded slash or a
     * control character in its path, a header name or value outside what HTTP allows): a JSON 400
     * instead of a 500, and a log line that quotes nothing of it.
     */
    @Bean
    RequestRejectedHandler requestRejected() {
        return (request, response, rejected) -> {
            if (!FIREWALL_METHODS.contains(request.getMethod())) { // TRACE, CONNECT, a made-up one
                // the path asked for, also when Tomcat refused the method itself (TRACE) and this is its error dispatch
                Object asked = request.getAttribute(jakarta.servlet.RequestDispatcher.ERROR_REQUEST_URI);
                boolean webhook = (asked instanceof String path ? path : request.getRequestURI()).startsWith("/webhooks/");
                response.setHeader("Allow", webhook ? "POST" : String.join(", ", FIREWALL_METHODS));
                Problems.write(response, 405, "method_not_allowed", webhook ? "a webhook takes POST only (see the Allow header)"
                        : "the bridge takes the methods the Allow header names, each endpoint some of them (see the README)");
                return;
            }
            Problems.writeRefusedCharacters(response);
        };
    }

    @Bean
    PasswordEncoder passwordEncoder() {
        return PASSWORDS;
    }

    @Bean
    UserDetailsService users(SecurityProperties props) {
        List<UserDetails> users = new ArrayList<>();
        user(users, "admin", props.admin(), "ADMIN");
        user(users, "viewer", props.viewer(), "VIEWER");
        if (users.stream().noneMatch(u -> u.getAuthorities().stream().anyMatch(a -> a.getAuthority().equals("ROLE_ADMIN")))) {
            log.warn("The control plane has no ADMIN: every /api request gets 401. Set BRIDGE_SECURITY_ADMIN_USERNAME and "
                    + "BRIDGE_SECURITY_ADMIN_PASSWORD as {bcrypt}<hash> (htpasswd -bnBC 10 \"\" '<password>' | tr -d ':\\n'), "
                    + "or {noop}<password> for local use only; BRIDGE_SECURITY_VIEWER_* for read-only access.");
        }
        InMemoryUserDetailsManager manager = new InMemoryUserDetailsManager(users);
        DaoAuthenticationProvider provider = new DaoAuthenticationProvider(manager);
        provider.setPasswordEncoder(PASSWORDS);
        JolokiaAdminAuthenticator.use(new ProviderManager(provider));
        return manager;
    }

    private static void user(List<UserDetails> users, String name, SecurityProperties.User user, String role) {
        if (user.password() == null || user.password().isBlank()) {
            return;
        }
        String setting = "bridge.security." + name;
        String variable = "BRIDGE_SECURITY_" + name.toUpperCase();
        if (user.username() == null || user.username().isBlank()) {
            throw new StartupRefusedException(setting + ".password is set but " + setting + ".username is not.",
                    "Set " + setting + ".username (" + variable + "_USERNAME), or remove the password to have no " + name + ".");
        }
        if (!ENCODED.matcher(user.password()).matches()) {
            throw new StartupRefusedException(setting + ".password does not name its encoding (the password itself is not shown).",
                    "Give " + variable + "_PASSWORD as {bcrypt}<hash> (htpasswd -bnBC 10 \"\" '<password>' | tr -d ':\\n'), "
                            + "or as {noop}<password> for local use only.");
        }
        if (users.stream().anyMatch(u -> u.getUsername().equals(user.username()))) {
            throw new StartupRefusedException("bridge.security.admin and bridge.security.viewer are the same user.",
                    "Give BRIDGE_SECURITY_VIEWER_USERNAME a name other than the admin's.");
        }
        users.add(User.withUsername(user.username()).password(user.password()).roles(role).build());
    }
}
