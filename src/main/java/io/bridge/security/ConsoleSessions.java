package io.bridge.security;

import io.bridge.BasicCredentials;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.boot.autoconfigure.web.ServerProperties;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.web.server.Cookie;
import org.springframework.boot.web.server.Cookie.SameSite;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.session.web.http.CookieHttpSessionIdResolver;
import org.springframework.session.web.http.CookieSerializer;
import org.springframework.session.web.http.DefaultCookieSerializer;
import org.springframework.session.web.http.HttpSessionIdResolver;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The console's browser sessions (kept in the database by Spring Session): whose they are and how
 * long they may last.
 * <ul>
 * <li>A request names at most one session, in the form Spring Session gives them (a UUID): a
 * request carrying many SESSION cookies, or made-up ones, costs one database look-up at most.</li>
 * <li>A session is bound to its user's settings as they were at sign-in (name, role, password
 * setting): changing a user's password, or removing the user, signs their browsers out on every
 * replica, and a session ends after {@code bridge.security.session-lifetime} whatever its use.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class ConsoleSessions {

    static final String USER_SETTINGS = "bridge.user-settings";
    private static final Pattern SESSION_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /** The SESSION cookie as server.servlet.session.cookie says (Spring Boot makes none once this resolver exists). */
    static CookieSerializer cookie(ServerProperties server) {
        Cookie cookie = server.getServlet().getSession().getCookie();
        DefaultCookieSerializer serializer = new DefaultCookieSerializer();
        PropertyMapper map = PropertyMapper.get().alwaysApplyingWhenNonNull();
        map.from(cookie::getName).to(serializer::setCookieName);
        map.from(cookie::getDomain).to(serializer::setDomainName);
        map.from(cookie::getPath).to(serializer::setCookiePath);
        map.from(cookie::getHttpOnly).to(serializer::setUseHttpOnlyCookie);
        map.from(cookie::getSecure).to(serializer::setUseSecureCookie);
        map.from(cookie::getSameSite).as(SameSite::attributeValue).to(serializer::setSameSite);
        return serializer;
    }

    @Bean
    HttpSessionIdResolver httpSessionIdResolver(ServerProperties server) {
        CookieHttpSessionIdResolver resolver = new CookieHttpSessionIdResolver();
        resolver.setCookieSerializer(cookie(server));
        return new HttpSessionIdResolver() {
            @Override
            public List<String> resolveSessionIds(HttpServletRequest request) {
                return resolver.resolveSessionIds(request).stream().filter(id -> SESSION_ID.matcher(id).matches()).limit(1).toList();
            }

            @Override
            public void setSessionId(HttpServletRequest request, HttpServletResponse response, String sessionId) {
                resolver.setSessionId(request, response, sessionId);
            }

            @Override
            public void expireSession(HttpServletRequest request, HttpServletResponse response) {
                resolver.expireSession(request, response);
            }
        };
    }

    /** The settings a signed-in user's session is bound to: a digest, never the password itself. */
    static String settingsOf(SecurityProperties props, String username) {
        for (Map.Entry<String, SecurityProperties.User> user : Map.of("ADMIN", props.admin(), "VIEWER", props.viewer()).entrySet()) {
            SecurityProperties.User settings = user.getValue();
            if (settings != null && username.equals(settings.username()) && settings.password() != null) {
                return HexFormat.of().formatHex(BasicCredentials.digest(user.getKey() + "\n" + settings.username() + "\n"
                        + settings.password()));
            }
        }
        return null; // no such user any more
    }

    /**
     * Ends a session whose user's settings changed since sign-in, or that is older than its lifetime:
     * the request goes on as anonymous (the console's page sends it to sign in, the API answers 401).
     */
    static final class Check extends OncePerRequestFilter {
        private final SecurityProperties props;
        private final Duration lifetime;

        Check(SecurityProperties props) {
            this.props = props;
            this.lifetime = props.sessionLifetime();
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            HttpSession session = request.getSession(false);
            if (session != null) {
                Object bound = session.getAttribute(USER_SETTINGS);
                Authentication user = SecurityContextHolder.getContext().getAuthentication();
                boolean expired = System.currentTimeMillis() - session.getCreationTime() > lifetime.toMillis();
                boolean changed = bound != null && user != null && !bound.equals(settingsOf(props, user.getName()));
                if (expired || changed) {
                    session.invalidate();
                    SecurityContextHolder.clearContext();
                }
            }
            chain.doFilter(request, response);
        }
    }
}
