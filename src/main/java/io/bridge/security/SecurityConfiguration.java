package io.bridge.security;

import io.bridge.http.Problems;
import io.bridge.mixpanel.CohortPush;
import io.bridge.mixpanel.MixpanelWebhookAuthenticator;
import io.bridge.webhooks.IterableWebhookAuthenticator;
import jakarta.servlet.DispatcherType;
import java.util.ArrayList;
import java.util.List;
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
import org.springframework.security.web.SecurityFilterChain;

/**
 * Who may do what. Webhooks keep their own credentials (bridge.webhooks.iterable, .mixpanel), so Spring
 * Security stays out of /webhooks/**. Health is open for Kubernetes probes. Everything else needs
 * HTTP Basic: VIEWER may GET /api/**, ADMIN may do everything (the rest of the actuator included).
 * The Jolokia agent on its own port lets in the same ADMIN ({@link JolokiaAdminAuthenticator}).
 * Answers 401 and 403 as JSON that says what is missing.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);
    private static final Pattern ENCODED = Pattern.compile("^\\{[A-Za-z0-9_.-]+\\}.+");
    private static final PasswordEncoder PASSWORDS = PasswordEncoderFactories.createDelegatingPasswordEncoder();

    /**
     * Webhooks authenticate on the Authorization header alone, before any byte of the body is read;
     * other methods and paths fall through to a JSON 405/404.
     */
    @Bean
    @Order(1)
    SecurityFilterChain webhooks(HttpSecurity http, IterableWebhookAuthenticator iterable, MixpanelWebhookAuthenticator mixpanel)
            throws Exception {
        return http.securityMatcher("/webhooks/**")
                .authorizeHttpRequests(requests -> requests
                        .requestMatchers(HttpMethod.POST, "/webhooks/iterable").access(iterable)
                        .requestMatchers(HttpMethod.POST, "/webhooks/mixpanel").access(mixpanel)
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
                    response.setHeader("WWW-Authenticate", "Basic realm=\"iterable-webhooks\", Bearer realm=\"iterable-webhooks\"");
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

    @Bean
    @Order(2)
    SecurityFilterChain controlPlane(HttpSecurity http) throws Exception {
        return http
                .authorizeHttpRequests(requests -> requests
                        // the JSON answer to a request already let in (404, 405): no second login
                        .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
                        .requestMatchers("/error").permitAll() // asked for directly: a JSON 404
                        .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/**").hasAnyRole("ADMIN", "VIEWER")
                        .anyRequest().hasRole("ADMIN"))
                .httpBasic(basic -> basic.realmName("bridge").authenticationEntryPoint((request, response, e) -> {
                    response.setHeader("WWW-Authenticate", "Basic realm=\"bridge\"");
                    Problems.write(response, 401, "unauthorized", "send HTTP Basic credentials of a bridge user "
                            + "(bridge.security.admin or bridge.security.viewer)");
                }))
                .exceptionHandling(errors -> errors.accessDeniedHandler((request, response, e) -> Problems.write(response, 403,
                        "forbidden", request.getUserPrincipal().getName() + " may only read (GET); "
                                + request.getMethod() + " " + request.getRequestURI() + " needs the ADMIN role")))
                .csrf(csrf -> csrf.disable()) // no cookies, no sessions: Basic on every request
                .requestCache(cache -> cache.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .build();
    }

    /**
     * platform-http hands each request to the application task executor: the user who sent it
     * travels along, so that routes (the audit trail) know who made a change.
     */
    @Bean
    TaskDecorator securityContextPropagation() {
        return DelegatingSecurityContextRunnable::new;
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
        if (user.username() == null || user.username().isBlank()) {
            throw new IllegalStateException(setting + ".username is not set (BRIDGE_SECURITY_" + name.toUpperCase() + "_USERNAME)");
        }
        if (!ENCODED.matcher(user.password()).matches()) {
            throw new IllegalStateException(setting + ".password must name its encoding: {bcrypt}<hash> "
                    + "(htpasswd -bnBC 10 \"\" '<password>' | tr -d ':\\n'), or {noop}<password> for local use only");
        }
        if (users.stream().anyMatch(u -> u.getUsername().equals(user.username()))) {
            throw new IllegalStateException("bridge.security.admin and bridge.security.viewer must be different users");
        }
        users.add(User.withUsername(user.username()).password(user.password()).roles(role).build());
    }
}
