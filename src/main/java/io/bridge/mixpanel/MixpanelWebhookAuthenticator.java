package io.bridge.mixpanel;

import io.bridge.BasicCredentials;
import jakarta.servlet.http.HttpServletRequest;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.stereotype.Component;

/**
 * Lets a call to {@code /webhooks/mixpanel} in when its {@code Authorization} header carries the
 * HTTP Basic credentials of {@code bridge.webhooks.mixpanel} (Mixpanel's webhook destination sends
 * Basic auth). Decided from the header alone, before any byte of the body is read. Secure by
 * default: with no credentials configured every call is refused. Compared as SHA-256 digests in
 * constant time.
 */
@Component
public class MixpanelWebhookAuthenticator implements AuthorizationManager<RequestAuthorizationContext> {

    /** Request attribute naming why a call was refused, for the 401 answer. */
    public static final String REFUSAL = MixpanelWebhookAuthenticator.class.getName() + ".refusal";

    private final byte[] expectedUser;
    private final byte[] expectedPassword;
    private final java.util.concurrent.atomic.AtomicBoolean toldWhatToSet = new java.util.concurrent.atomic.AtomicBoolean();

    public MixpanelWebhookAuthenticator(MixpanelWebhookProperties props) {
        this.expectedUser = props.configured() ? BasicCredentials.digest(props.username()) : null;
        this.expectedPassword = props.configured() ? BasicCredentials.digest(props.password()) : null;
        if (!props.configured()) {
            LoggerFactory.getLogger(MixpanelWebhookAuthenticator.class).info("Mixpanel cohort push is LOCKED: every call to "
                    + "/webhooks/mixpanel gets 401. To receive cohorts pushed by Mixpanel's webhook destination, set "
                    + "BRIDGE_WEBHOOKS_MIXPANEL_USERNAME and BRIDGE_WEBHOOKS_MIXPANEL_PASSWORD and give Mixpanel the same.");
        }
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

    /** Why a call with this header is refused, or null when it is let in. */
    String refusal(String header) {
        if (expectedUser == null) {
            if (toldWhatToSet.compareAndSet(false, true)) {
                LoggerFactory.getLogger(MixpanelWebhookAuthenticator.class).warn("A call to /webhooks/mixpanel was refused (401): "
                        + "set BRIDGE_WEBHOOKS_MIXPANEL_USERNAME and BRIDGE_WEBHOOKS_MIXPANEL_PASSWORD to the credentials of "
                        + "Mixpanel's webhook destination");
            }
            return "the bridge has no credentials for Mixpanel's webhook (set BRIDGE_WEBHOOKS_MIXPANEL_USERNAME and _PASSWORD)";
        }
        if (header == null) {
            return "missing Authorization header";
        }
        return accepts(header) ? null : "wrong credentials in Authorization header";
    }

    private boolean accepts(String header) {
        int space = header.indexOf(' ');
        return space > 0 && header.substring(0, space).equalsIgnoreCase("Basic")
                && BasicCredentials.match(header.substring(space + 1), expectedUser, expectedPassword);
    }
}
