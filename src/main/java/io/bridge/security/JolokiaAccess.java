package io.bridge.security;

import io.bridge.security.JolokiaAccessProperties.Auth;
import io.bridge.startup.StartupRefusedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import org.apache.camel.component.jolokia.springboot.JolokiaComponentConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Who may use the Jolokia agent, from {@code bridge.monitoring.jolokia.auth}, written into Jolokia's
 * configuration ({@code camel.component.jolokia.server-config}) before camel-jolokia-starter builds
 * the agent from it. The bridge, not loose server-config keys, decides authentication: a key that
 * would add, replace or drop an authenticator (or the restrictor) stops start-up with what to set
 * instead, so no edit of application.yaml or the environment turns authentication off by accident.
 * <ul>
 * <li>{@code basic} (default): HTTP Basic, the bridge's ADMIN ({@link JolokiaAdminAuthenticator});
 * protocol as configured (the starter switches to HTTPS on OpenShift).</li>
 * <li>{@code client-cert}: HTTPS; a client certificate signed by {@code ca-cert}, with the client
 * authentication extended key usage, naming one of {@code client-principals} (Jolokia's own
 * client-certificate authenticator). That is how Hawtio Online's proxy authenticates; it never
 * forwards Basic credentials.</li>
 * <li>{@code network-policy}: HTTPS, no credentials, and only with
 * {@code network-policy-acknowledged=true}: for Hawtio Online on Kubernetes without client
 * certificates, behind the NetworkPolicy of k8s/overlays/hawtio-online-networkpolicy.</li>
 * </ul>
 * In every mode the restrictor is {@link ReadOnlyCamelRestrictor}.
 */
@Configuration(proxyBeanMethods = false)
public class JolokiaAccess {

    private static final Logger log = LoggerFactory.getLogger(JolokiaAccess.class);

    static final String SERVER_CONFIG = "camel.component.jolokia.server-config.";

    /** server-config keys the mode owns, and the bridge setting to use instead. */
    private static final Map<String, String> OWNED = Map.ofEntries(
            Map.entry("authClass", "bridge.monitoring.jolokia.auth"),
            Map.entry("authMode", "bridge.monitoring.jolokia.auth"),
            Map.entry("authMatch", "bridge.monitoring.jolokia.auth"),
            Map.entry("authUrl", "bridge.monitoring.jolokia.auth"),
            Map.entry("user", "bridge.monitoring.jolokia.auth"),
            Map.entry("password", "bridge.monitoring.jolokia.auth"),
            Map.entry("useSslClientAuthentication", "bridge.monitoring.jolokia.auth=client-cert"),
            Map.entry("extendedClientCheck", "bridge.monitoring.jolokia.auth=client-cert"),
            Map.entry("caCert", "bridge.monitoring.jolokia.ca-cert"),
            Map.entry("clientPrincipal", "bridge.monitoring.jolokia.client-principals"),
            Map.entry("policyLocation", "nothing: the restrictor is " + ReadOnlyCamelRestrictor.class.getName()));

    /** The start stops: the settings would weaken the agent; {@code action} says what to set. */
    private static StartupRefusedException refused(String description, String action) {
        return new StartupRefusedException("The Jolokia agent (Hawtio's port) was not started: " + description, action);
    }

    @Bean
    static BeanPostProcessor jolokiaAccessSettings(Environment environment) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof JolokiaComponentConfiguration jolokia) {
                    JolokiaAccessProperties access = Binder.get(environment)
                            .bindOrCreate("bridge.monitoring.jolokia", JolokiaAccessProperties.class);
                    apply(access, jolokia);
                }
                return bean;
            }
        };
    }

    /** Writes the mode into the starter's configuration (bound, not yet used), or refuses. */
    static void apply(JolokiaAccessProperties access, JolokiaComponentConfiguration jolokia) {
        if (jolokia.isExposeApplicationContext() || jolokia.isLookupConfig() || jolokia.isLookupServices()) {
            throw refused("camel.component.jolokia.expose-application-context, lookup-config and lookup-services would let "
                    + "Spring beans add to or replace the agent's configuration and handlers (past the read-only restrictor).",
                    "Remove them (they default to false).");
        }
        if (!"never".equalsIgnoreCase(jolokia.getSystemPropertiesMode())) {
            throw refused("camel.component.jolokia.system-properties-mode=" + jolokia.getSystemPropertiesMode()
                    + " would let -Djolokia.* system properties change the agent's authentication.",
                    "Remove it (the default is never).");
        }
        Map<String, String> config = jolokia.getServerConfig();
        for (String key : config.keySet()) {
            String owner = ownerOf(key);
            if (owner != null) {
                throw refused(SERVER_CONFIG + key + " is set, but the bridge decides how Jolokia authenticates.",
                        "Remove it and set " + owner + " instead.");
            }
        }
        String restrictor = ReadOnlyCamelRestrictor.class.getName();
        String configured = config.get("restrictorClass");
        if (configured != null && !configured.equals(restrictor)) {
            throw refused(SERVER_CONFIG + "restrictorClass=" + configured + " would replace the read-only restrictor.",
                    "Remove it: Jolokia stays read-only on Camel's MBeans (" + restrictor + ").");
        }
        config.put("restrictorClass", restrictor);

        String port = config.getOrDefault("port", "8778");
        switch (access.auth()) {
            case BASIC -> {
                config.put("authClass", JolokiaAdminAuthenticator.class.getName());
                log.info("Jolokia (port {}): the bridge's ADMIN, HTTP Basic (bridge.monitoring.jolokia.auth=basic)", port);
            }
            case CLIENT_CERT -> {
                https(config, access.auth());
                Path ca = Path.of(access.caCert());
                if (!Files.isReadable(ca)) {
                    throw refused("bridge.monitoring.jolokia.auth=client-cert needs the CA that signs Hawtio Online's client "
                            + "certificate, and " + ca + " is not a readable file.",
                            "On OpenShift it is the service CA, mounted there in every pod (the default); on Kubernetes mount "
                                    + "your CA's PEM file and set bridge.monitoring.jolokia.ca-cert (BRIDGE_MONITORING_JOLOKIA_CACERT).");
                }
                List<String> principals = access.clientPrincipals().stream().map(String::strip).filter(p -> !p.isEmpty()).toList();
                if (principals.isEmpty()) {
                    throw refused("bridge.monitoring.jolokia.client-principals is empty: every certificate the CA ever signed "
                            + "would get in.", "Set it to Hawtio Online's subject (" + JolokiaAccessProperties.HAWTIO_ONLINE
                                    + " when it runs in the namespace hawtio).");
                }
                for (int i = 0; i < principals.size(); i++) {
                    try {
                        new LdapName(principals.get(i));
                    } catch (InvalidNameException e) {
                        throw refused("bridge.monitoring.jolokia.client-principals: '" + principals.get(i)
                                + "' is not a distinguished name.", "Write it as RDNs, e.g. " + JolokiaAccessProperties.HAWTIO_ONLINE + ".");
                    }
                    config.put(i == 0 ? "clientPrincipal" : "clientPrincipal." + i, principals.get(i));
                }
                config.put("useSslClientAuthentication", "true");
                config.put("caCert", ca.toString());
                // the certificate must be meant for client authentication (not, say, another service's serving certificate)
                config.put("extendedClientCheck", "true");
                log.info("Jolokia (port {}): HTTPS, client certificates signed by {} for {} (bridge.monitoring.jolokia.auth=client-cert)",
                        port, ca, principals);
            }
            case NETWORK_POLICY -> {
                if (!access.networkPolicyAcknowledged()) {
                    throw refused("bridge.monitoring.jolokia.auth=network-policy turns authentication off on the Jolokia port "
                            + port + ": anyone who reaches it reads the routes.",
                            "Deploy k8s/overlays/hawtio-online-networkpolicy (a NetworkPolicy admitting only Hawtio Online's namespace "
                                    + "to the port), which also sets bridge.monitoring.jolokia.network-policy-acknowledged=true; or "
                                    + "use auth=client-cert (OpenShift, custom CA) or basic.");
                }
                https(config, access.auth());
                config.put("useSslClientAuthentication", "false");
                log.warn("Jolokia (port {}): HTTPS without credentials (bridge.monitoring.jolokia.auth=network-policy): only the "
                        + "NetworkPolicy keeps everyone but Hawtio Online's namespace out; read-only on Camel's MBeans", port);
            }
            default -> throw new IllegalStateException("unknown mode " + access.auth());
        }
    }

    /** In the cluster modes Hawtio Online connects with HTTPS (its default), and multicast discovery has no use. */
    private static void https(Map<String, String> config, Auth auth) {
        String protocol = config.get("protocol");
        if (protocol != null && !protocol.equalsIgnoreCase("https")) {
            throw refused(SERVER_CONFIG + "protocol=" + protocol + " with bridge.monitoring.jolokia.auth=" + auth.setting()
                    + ": Hawtio Online connects with HTTPS" + (auth == Auth.CLIENT_CERT ? " and client certificates need TLS." : "."),
                    "Remove " + SERVER_CONFIG + "protocol.");
        }
        config.put("protocol", "https");
        config.put("discoveryEnabled", "false");
    }

    private static String ownerOf(String key) {
        for (Map.Entry<String, String> owned : OWNED.entrySet()) {
            String name = owned.getKey().toLowerCase(Locale.ROOT);
            String given = key.toLowerCase(Locale.ROOT).replace("-", "");
            if (given.equals(name) || given.startsWith(name + ".")) {
                return owned.getValue();
            }
        }
        return null;
    }
}
