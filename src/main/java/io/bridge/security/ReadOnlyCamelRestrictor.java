package io.bridge.security;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.JMException;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.jolokia.server.core.service.api.Restrictor;
import org.jolokia.server.core.util.HttpMethod;
import org.jolokia.server.core.util.RequestType;

/**
 * What anyone let into Jolokia (the agent Hawtio connects to; who gets in is
 * {@code bridge.monitoring.jolokia.auth}, {@link JolokiaAccess}) may do: look, never act. Camel's own
 * restrictor (the starter's default) opens every attribute and operation of Camel's MBeans plus
 * {@code java.lang}, and Camel's context MBean runs any endpoint: {@code requestBody} of
 * {@code language:simple:${env.X}} reads the environment, of {@code jdbc:dataSource} runs SQL, and a
 * route's {@code stop()} takes the API down. This one allows, on {@code org.apache.camel} MBeans
 * only:
 * <ul>
 * <li>{@code read} of any attribute, {@code list}, {@code search}, {@code version};</li>
 * <li>{@code exec} of the few side-effect-free operations Hawtio's Camel views call, each with its
 * exact signature and on its own MBean ({@link #OPERATIONS});</li>
 * </ul>
 * and refuses everything else: any other {@code exec} (start, stop, send, request, reset, debug,
 * trace, ...), every {@code write}, {@code config} and {@code notification} request, every MBean
 * outside Camel (hidden from {@code list} and {@code search} too), and CORS: no browser page on
 * another origin is given an answer (Hawtio reaches the agent through its own server-side proxy).
 * Jolokia creates it by name ({@code camel.component.jolokia.server-config.restrictorClass}); a
 * restrictor that cannot be created makes Jolokia deny everything.
 */
public class ReadOnlyCamelRestrictor implements Restrictor {

    static final String CAMEL = "org.apache.camel";

    /** MBean (its {@code type} key, and {@code name} key where a type holds many) to the operations Hawtio may run on it. */
    static final Map<String, Set<String>> OPERATIONS = Map.of(
            // route diagram and source: the routes as XML, placeholders unresolved
            "context", Set.of("dumpRoutesAsXml()",
                    // route diagram counters and the profile view
                    "dumpRoutesStatsAsXml(boolean,boolean)"),
            // endpoints view: hits per endpoint and route (when camel.main.endpoint-runtime-statistics-enabled)
            "services/DefaultRuntimeEndpointRegistry", Set.of("endpointStatistics()"),
            // exchanges view: which exchanges are in flight or blocked, ids and times only (no bodies)
            "services/DefaultInflightRepository", Set.of("browse()"),
            "services/DefaultAsyncProcessorAwaitManager", Set.of("browse()"),
            // REST services view
            "services/DefaultRestRegistry", Set.of("listRestServices()"));

    private static final Set<RequestType> TYPES = Set.of(RequestType.READ, RequestType.LIST, RequestType.SEARCH, RequestType.VERSION,
            RequestType.EXEC);

    private final MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();

    @Override
    public boolean isHttpMethodAllowed(HttpMethod method) {
        return method == HttpMethod.GET || method == HttpMethod.POST;
    }

    @Override
    public boolean isTypeAllowed(RequestType type) {
        return TYPES.contains(type);
    }

    @Override
    public boolean isAttributeReadAllowed(ObjectName name, String attribute) {
        return isCamel(name);
    }

    @Override
    public boolean isAttributeWriteAllowed(ObjectName name, String attribute) {
        return false;
    }

    @Override
    public boolean isOperationAllowed(ObjectName name, String operation) {
        if (!isCamel(name) || name.isPattern() || operation == null) {
            return false;
        }
        Set<String> allowed = OPERATIONS.get(name.getKeyProperty("type"));
        if (allowed == null) {
            allowed = OPERATIONS.get(name.getKeyProperty("type") + "/" + name.getKeyProperty("name"));
        }
        if (allowed == null) {
            return false;
        }
        String signature = signature(name, operation.replaceAll("\\s", ""));
        return signature != null && allowed.contains(signature);
    }

    /**
     * The operation with its parameter types, as Jolokia will resolve it: given with a signature, as
     * given; given by name alone, the only operation of that name on the MBean (Jolokia refuses an
     * overloaded name without a signature), or null.
     */
    private String signature(ObjectName name, String operation) {
        if (operation.endsWith(")")) {
            return operation;
        }
        List<String> found = new ArrayList<>();
        try {
            for (MBeanOperationInfo info : mbeans.getMBeanInfo(name).getOperations()) {
                if (info.getName().equals(operation)) {
                    List<String> types = new ArrayList<>();
                    for (MBeanParameterInfo parameter : info.getSignature()) {
                        types.add(parameter.getType());
                    }
                    found.add(operation + "(" + String.join(",", types) + ")");
                }
            }
        } catch (JMException | RuntimeException unknown) {
            return null;
        }
        return found.size() == 1 ? found.get(0) : null;
    }

    @Override
    public boolean isRemoteAccessAllowed(String... hostOrAddress) {
        // who may connect is the network's business (Kubernetes, the container port, in network-policy mode the
        // NetworkPolicy); who gets in is bridge.monitoring.jolokia.auth's (JolokiaAccess)
        return true;
    }

    @Override
    public boolean isOriginAllowed(String origin, boolean onlyWhenStrictCheckingIsEnabled) {
        // asked with true: may a request with this Origin run at all (yes: Hawtio's proxy may forward one; it is read-only anyway);
        // asked with false: may the answer carry CORS headers for it (never: no page in a browser reads the agent's answers)
        return onlyWhenStrictCheckingIsEnabled || origin == null;
    }

    @Override
    public boolean isObjectNameHidden(ObjectName name) {
        return !isCamel(name);
    }

    private static boolean isCamel(ObjectName name) {
        return name != null && CAMEL.equals(name.getDomain());
    }
}
