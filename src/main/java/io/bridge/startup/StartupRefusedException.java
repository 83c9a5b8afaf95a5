package io.bridge.startup;

/**
 * A setting the bridge will not run with: the start stops with what happened and what to do, as
 * Spring Boot's "APPLICATION FAILED TO START" report ({@link StartupRefusedAnalyzer}).
 */
public class StartupRefusedException extends IllegalStateException {

    private final String action;

    public StartupRefusedException(String description, String action) {
        super(description);
        this.action = action;
    }

    public String action() {
        return action;
    }
}
