package io.bridge.webhooks;

import io.bridge.BasicCredentials;
import io.bridge.webhooks.IterableWebhookProperties.AuthMode;
import jakarta.servlet.http.HttpServletRequest;
import java.security.MessageDigest;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.stereotype.Component;

/**
 * Decides, from the {@code Authorization} header alone, whether a delivery to
 * {@code /webhooks/iterable} comes from Iterable, in the mode chosen by
 * {@code bridge.webhooks.iterable.auth}. It runs in Spring Security's filter chain, before any byte
 * of the body is read; query parameters never count. Secure by default: with no credentials
 * configured and the mode not explicitly {@code none}, every delivery is refused. Secrets are
 * compared as SHA-256 digests with {@link MessageDigest#isEqual}, in constant time.
 */
@Component
public class IterableWebhookAuthenticator implements AuthorizationManager<RequestAuthorizationContext> {

    /** Request attribute naming why a delivery was refused, for the 401 answer. */
    public static final String REFUSAL = IterableWebhookAuthenticator.class.getName() + ".refusal";

    private static final Logger log = LoggerFactory.getLogger(IterableWebhookAuthenticator.class);

    private final AuthMode mode;
    private final byte[] expectedUser;
    private final byte[] expectedPassword;
    private final byte[] expectedToken;

    public IterableWebhookAuthenticator(IterableWebhookProperties props) {
        this.mode = effectiveMode(props);
        this.expectedUser = digestOrNull(props.username());
        this.expectedPassword = digestOrNull(props.password());
        this.expectedToken = digestOrNull(props.token());
        if (mode == null) {
            log.warn("Iterable webhooks are LOCKED: every delivery to /webhooks/iterable gets 401. Set "
                    + "BRIDGE_WEBHOOKS_ITERABLE_TOKEN (Iterable's OAuth2 auth type), or "
                    + "BRIDGE_WEBHOOKS_ITERABLE_USERNAME and BRIDGE_WEBHOOKS_ITERABLE_PASSWORD (Basic), "
                    + "or BRIDGE_WEBHOOKS_ITERABLE_AUTH=none to accept unauthenticated deliveries.");
        } else {
            log.info("Iterable webhooks accept auth mode {}", mode.name().toLowerCase());
        }
    }

    /** The mode in force, or null when the configuration cannot accept any delivery. */
    static AuthMode effectiveMode(IterableWebhookProperties p) {
        boolean basic = notBlank(p.username()) && notBlank(p.password());
        boolean token = notBlank(p.token());
        if (p.auth() == null) {
            return token ? AuthMode.TOKEN : basic ? AuthMode.BASIC : null;
        }
        return switch (p.auth()) {
            case NONE -> AuthMode.NONE;
            case BASIC -> basic ? AuthMode.BASIC : null;
            case TOKEN -> token ? AuthMode.TOKEN : null;
        };
    }

    /** The WWW-Authenticate of a refusal: the scheme this bridge takes (both when none is configured, which refuses all). */
    public String challenge() {
        return mode == AuthMode.BASIC ? "Basic realm=\"iterable-webhooks\""
                : mode == AuthMode.TOKEN ? "Bearer realm=\"iterable-webhooks\""
                : "Basic realm=\"iterable-webhooks\", Bearer realm=\"iterable-webhooks\"";
    }

    @Override
    public AuthorizationDecision check(Supplier<Authentication> authentication, RequestAuthorizationContext context) {
        HttpServletRequest request = context.getRequest();
        String refusal = refusal(request.getHeader("Authorization"));
        if (refusal != null) {
            request.setAttribute(REFUSAL, refusal);
        }
        return new AuthorizationDecision(refusal == null);
    }

    /** Why a delivery with this header is refused, or null when it is accepted. */
    String refusal(String header) {
        if (mode == null) {
            return "webhook credentials are not configured on the bridge";
        }
        if (mode == AuthMode.NONE || accepts(header)) {
            return null;
        }
        return header == null ? "missing Authorization header" : "wrong credentials in Authorization header";
    }

    private boolean accepts(String header) {
        if (header == null) {
            return false;
        }
        int space = header.indexOf(' ');
        if (space < 0) {
            return false;
        }
        String scheme = header.substring(0, space);
        String value = header.substring(space + 1).trim();
        if (mode == AuthMode.TOKEN) {
            boolean knownScheme = scheme.equalsIgnoreCase("OAuth2") || scheme.equalsIgnoreCase("Bearer");
            return knownScheme & MessageDigest.isEqual(digest(value), expectedToken);
        }
        return scheme.equalsIgnoreCase("Basic") && BasicCredentials.match(value, expectedUser, expectedPassword);
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    private static byte[] digestOrNull(String s) {
        return notBlank(s) ? digest(s) : null;
    }

    private static byte[] digest(String s) {
        return BasicCredentials.digest(s);
    }
}
