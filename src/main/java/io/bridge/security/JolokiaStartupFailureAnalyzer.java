package io.bridge.security;

import java.net.BindException;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;

/**
 * Start-up failures of the Jolokia agent, told as what happened and what to set (Spring Boot prints
 * them as "APPLICATION FAILED TO START", without a stack trace):
 * <ul>
 * <li>its port is taken (a second local copy of the bridge, anything on 8778): Jolokia itself says
 * only {@code Address already in use}, naming neither the port nor {@code JOLOKIA_PORT};</li>
 * <li>settings that would weaken it ({@link JolokiaAccess.Refused}).</li>
 * </ul>
 */
public class JolokiaStartupFailureAnalyzer implements FailureAnalyzer {

    /** camel-jolokia-starter's agent bean. */
    static final String AGENT_BEAN = "jolokia";

    private final Environment environment;

    public JolokiaStartupFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    public FailureAnalysis analyze(Throwable failure) {
        JolokiaAccess.Refused refused = find(failure, JolokiaAccess.Refused.class);
        if (refused != null) {
            return new FailureAnalysis("The Jolokia agent (Hawtio's port) was not started: " + refused.description(),
                    refused.action(), refused);
        }
        BindException taken = find(failure, BindException.class);
        if (taken != null && fromTheAgent(failure)) {
            String port = environment.getProperty(JolokiaAccess.SERVER_CONFIG + "port", "8778");
            String host = environment.getProperty(JolokiaAccess.SERVER_CONFIG + "host", "0.0.0.0");
            return new FailureAnalysis("The Jolokia agent (Hawtio's port) could not listen on port " + port + " (host " + host
                    + "): " + taken.getMessage() + ". Another copy of the bridge, or another program, is using it.",
                    "Stop what uses port " + port + ", or give this copy another Jolokia port: JOLOKIA_PORT=" + another(port) + " (the setting "
                            + "camel.component.jolokia.server-config.port). To run without Jolokia: CAMEL_COMPONENT_JOLOKIA_ENABLED=false.",
                    taken);
        }
        return null;
    }

    private static String another(String port) {
        try {
            return String.valueOf(Integer.parseInt(port.strip()) + 1);
        } catch (NumberFormatException notANumber) {
            return "8779";
        }
    }

    private static boolean fromTheAgent(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BeanCreationException creation && AGENT_BEAN.equals(creation.getBeanName())) {
                return true;
            }
            for (StackTraceElement frame : t.getStackTrace()) {
                if (frame.getClassName().startsWith("org.jolokia.")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
