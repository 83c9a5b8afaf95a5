package io.bridge.security;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bridge.monitoring.jolokia.*}: who may use the Jolokia agent (Hawtio's port). Whatever the
 * mode, the agent stays read-only on Camel's MBeans ({@link ReadOnlyCamelRestrictor}); see
 * {@link JolokiaAccess} for how each mode becomes Jolokia's configuration.
 *
 * @param auth                     {@code basic}: the bridge's ADMIN over HTTP Basic (a standalone Hawtio, a port-forward);
 *                                 {@code client-cert}: HTTPS, a TLS client certificate signed by {@code caCert} naming one
 *                                 of {@code clientPrincipals} (Hawtio Online on OpenShift, or on Kubernetes with a custom CA);
 *                                 {@code network-policy}: HTTPS, no credentials at all (Hawtio Online on Kubernetes without
 *                                 client certificates), only behind a NetworkPolicy that admits Hawtio Online's namespace alone
 * @param caCert                   PEM file of the CA that signs the client certificates ({@code client-cert}); OpenShift mounts
 *                                 its service CA at the default path
 * @param clientPrincipals         subjects (RDNs) a client certificate must carry, any one of them ({@code client-cert})
 * @param networkPolicyAcknowledged must be true for {@code network-policy}: the operator confirms that a NetworkPolicy
 *                                 (k8s/overlays/hawtio-online-networkpolicy) admits only Hawtio Online's namespace to the port
 */
@ConfigurationProperties("bridge.monitoring.jolokia")
public record JolokiaAccessProperties(
        @DefaultValue("basic") Auth auth,
        @DefaultValue(OPENSHIFT_SERVICE_CA) String caCert,
        @DefaultValue(HAWTIO_ONLINE) List<String> clientPrincipals,
        @DefaultValue("false") boolean networkPolicyAcknowledged) {

    /** Where OpenShift mounts the service CA in every pod (the CA that signs Hawtio Online's client certificate). */
    public static final String OPENSHIFT_SERVICE_CA = "/var/run/secrets/kubernetes.io/serviceaccount/service-ca.crt";
    /** Hawtio Online's client certificate subject when it runs in the namespace {@code hawtio} (its default). */
    public static final String HAWTIO_ONLINE = "cn=hawtio-online.hawtio.svc";

    public enum Auth {
        BASIC, CLIENT_CERT, NETWORK_POLICY;

        /** As written in settings: basic, client-cert, network-policy. */
        public String setting() {
            return name().toLowerCase().replace('_', '-');
        }
    }
}
