package io.bridge.security;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.security.*}: who may use the control plane, and the key that encrypts API keys
 * stored in the database. Passwords are in Spring Security's {@code {id}} form; all of it comes from
 * the environment (or a Kubernetes Secret), never from application.yaml.
 *
 * @param admin         the project admin: everything
 * @param viewer        read-only: GET on the control plane
 * @param encryptionKey encrypts an Iterable API key given in clear to PUT /api/integration
 *                      (any string; 32+ random characters)
 * @param sessionLifetime a console session ends this long after sign-in, however much it is used
 */
@ConfigurationProperties("bridge.security")
public record SecurityProperties(
        @DefaultValue User admin,
        @DefaultValue User viewer,
        String encryptionKey,
        @DefaultValue("12h") java.time.Duration sessionLifetime) {

    /** A control-plane user; the password is never shown. */
    public record User(String username, String password) {
        @Override
        public String toString() {
            return "User[username=" + username + "]";
        }
    }

    @Override
    public String toString() {
        return "SecurityProperties[admin=" + admin + ", viewer=" + viewer + "]";
    }
}
