package io.bridge.routing;

import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Route files at run time: their readiness always, their reload on save when bridge.routes.reload is on. */
@Configuration(proxyBeanMethods = false)
class RouteFilesConfiguration {

    private static final Logger log = LoggerFactory.getLogger(RouteFilesConfiguration.class);

    @Bean
    RoutesHealthIndicator routesHealthIndicator(CamelContext camel) {
        return new RoutesHealthIndicator(camel);
    }

    @Bean
    @ConditionalOnProperty("bridge.routes.reload")
    SafeRouteReload safeRouteReload(CamelContext camel, RouteFilesProperties props) throws Exception {
        SafeRouteReload reload = new SafeRouteReload(props.directory(), props.pattern());
        camel.addService(reload);
        log.info("Route files in {} ({}) reload when saved", props.directory(), props.pattern());
        return reload;
    }
}
