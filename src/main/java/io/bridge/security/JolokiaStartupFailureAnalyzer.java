package io.bridge.security;

import java.net.BindException;
import org.apache.camel.util.ObjectHelper;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;

/**
 * The Jolokia agent's port is taken (a second local copy of the bridge, anything on 8778), told as
 * what happened and what to set (Spring Boot prints it as "APPLICATION FAILED TO START", without a
 * stack trace): Jolokia itself says only {@code Address already in use}, naming neither the port
 * nor {@code JOLOKIA_PORT}. Settings that would weaken the agent are refused by {@link JolokiaAccess}
 * and reported like every refused setting (io.bridge.startup.StartupRefusedAnalyzer).
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
        BindException taken = ObjectHelper.getException(BindException.class, failure);
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
}
