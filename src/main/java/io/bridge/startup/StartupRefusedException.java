package io.bridge.startup;

/** A setting the bridge cannot run with: the start stops with what happened and what to do ({@link StartupRefusedAnalyzer}). */
class StartupRefusedException extends IllegalStateException {

    private final String action;

    StartupRefusedException(String description, String action) {
        super(description);
        this.action = action;
    }

    String action() {
        return action;
    }
}
