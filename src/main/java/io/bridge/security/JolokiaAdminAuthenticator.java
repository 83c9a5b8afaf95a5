package io.bridge.security;

import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpExchange;
import java.util.regex.Pattern;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;

/**
 * HTTP Basic for the Jolokia agent (its own port, 8778, outside Spring's web stack) in
 * {@code bridge.monitoring.jolokia.auth=basic}, the default: only the bridge's ADMIN gets in, checked
 * by the same Spring Security users as the control plane. Jolokia creates this class by name
 * ({@code authClass}, set by {@link JolokiaAccess}), so the users reach it through {@link #use};
 * until then nobody gets in.
 */
public class JolokiaAdminAuthenticator extends BasicAuthenticator {

    private static volatile AuthenticationManager users;

    public JolokiaAdminAuthenticator() {
        super("bridge");
    }

    static void use(AuthenticationManager manager) {
        users = manager;
    }

    /**
     * No JSONP ({@code ?callback=}): its answer is a script another site's page may load, and read,
     * with the Basic credentials a browser remembers for this port. Jolokia has no switch for it.
     */
    @Override
    public Result authenticate(HttpExchange exchange) {
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null && JSONP.matcher(query).find()) {
            return new Failure(403);
        }
        return super.authenticate(exchange);
    }

    private static final Pattern JSONP = Pattern.compile("(^|&)callback=");

    @Override
    public boolean checkCredentials(String username, String password) {
        AuthenticationManager manager = users;
        if (manager == null) {
            return false;
        }
        try {
            Authentication user = manager.authenticate(UsernamePasswordAuthenticationToken.unauthenticated(username, password));
            return user.getAuthorities().stream().anyMatch(role -> role.getAuthority().equals("ROLE_ADMIN"));
        } catch (AuthenticationException refused) {
            return false;
        }
    }
}
