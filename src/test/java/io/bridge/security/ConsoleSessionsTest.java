package io.bridge.security;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.http.Cookie;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextHolder;

/** Which console sessions a request may use: one look-up at most, bound to the user's settings and a lifetime. */
class ConsoleSessionsTest {

    static SecurityProperties users(String adminPassword, Duration lifetime) {
        return new SecurityProperties(new SecurityProperties.User("ann", adminPassword), new SecurityProperties.User("vic", "{noop}v"),
                null, lifetime);
    }

    @AfterEach
    void signedOut() {
        SecurityContextHolder.clearContext();
    }

    MockHttpSession signedIn(SecurityProperties atSignIn) {
        MockHttpSession session = new MockHttpSession();
        session.setAttribute(ConsoleSessions.USER_SETTINGS, ConsoleSessions.settingsOf(atSignIn, "ann"));
        SecurityContextHolder.getContext().setAuthentication(UsernamePasswordAuthenticationToken.authenticated("ann", null, List.of()));
        return session;
    }

    boolean survives(MockHttpSession session, SecurityProperties now) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/");
        request.setSession(session);
        new ConsoleSessions.Check(now).doFilter(request, new MockHttpServletResponse(), new MockFilterChain());
        return !session.isInvalid() && SecurityContextHolder.getContext().getAuthentication() != null;
    }

    @Test
    void aSessionEndsWhenItsUsersPasswordChangesOrTheUserIsGoneOrItsLifetimeIsOver() throws Exception {
        SecurityProperties before = users("{noop}old", Duration.ofHours(12));
        assertThat(survives(signedIn(before), before)).isTrue();
        assertThat(survives(signedIn(before), users("{noop}new", Duration.ofHours(12)))).as("password changed").isFalse();
        SecurityProperties adminRenamed = new SecurityProperties(new SecurityProperties.User("bob", "{noop}old"),
                new SecurityProperties.User("vic", "{noop}v"), null, Duration.ofHours(12));
        assertThat(survives(signedIn(before), adminRenamed)).as("user gone").isFalse();
        MockHttpSession old = signedIn(before);
        Thread.sleep(5);
        assertThat(survives(old, users("{noop}old", Duration.ofMillis(1)))).as("lifetime over").isFalse();
        assertThat(ConsoleSessions.settingsOf(before, "ann")).as("a digest, not the password").doesNotContain("old");
    }

    @Test
    void aRequestNamesAtMostOneWellFormedSession() {
        var resolver = new ConsoleSessions().httpSessionIdResolver(new org.springframework.boot.autoconfigure.web.ServerProperties());
        MockHttpServletRequest request = new MockHttpServletRequest();
        Cookie[] cookies = new Cookie[60];
        for (int i = 0; i < cookies.length; i++) {
            cookies[i] = new Cookie("SESSION", java.util.Base64.getEncoder().encodeToString(("made-up-" + i).getBytes()));
        }
        cookies[30] = new Cookie("SESSION", java.util.Base64.getEncoder().encodeToString("3f2b8c1e-1111-4a2b-9c3d-123456789abc".getBytes()));
        cookies[40] = new Cookie("SESSION", java.util.Base64.getEncoder().encodeToString("4f2b8c1e-1111-4a2b-9c3d-123456789abc".getBytes()));
        request.setCookies(cookies);
        assertThat(resolver.resolveSessionIds(request)).containsExactly("3f2b8c1e-1111-4a2b-9c3d-123456789abc");
    }
}
