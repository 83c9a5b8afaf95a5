package io.bridge;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The Mixpanel-Iterable bridge: Camel routes live in ./routes, settings in ./application.yaml. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class BridgeApplication {
    public static void main(String[] args) {
        // The JDK's HTTP server (Jolokia's agent) drops a client that takes longer than this to send
        // its request; unset, a half-open connection holds its thread forever. Read once, when the
        // server class loads: it has to be set before anything starts.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "10");
        }
        SpringApplication.run(BridgeApplication.class, args);
    }
}
