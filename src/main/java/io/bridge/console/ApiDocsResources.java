package io.bridge.console;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.webjars.WebJarVersionLocator;

/**
 * Swagger UI's script and style, from its webjar in the bundle (no CDN), under {@code /api/docs/}
 * where the same users may read them as the API (ADMIN, VIEWER). Only those two files: the webjar's
 * own index.html (a demo pointed at an outside example API) is not served.
 */
@Configuration
class ApiDocsResources implements WebMvcConfigurer {

    @Override
    public void addResourceHandlers(ResourceHandlerRegistry registry) {
        String version = new WebJarVersionLocator().version("swagger-ui");
        // a wildcard in each pattern: the path below it names the file in the webjar
        registry.addResourceHandler("/api/docs/swagger-ui-bundle*.js", "/api/docs/swagger-ui*.css")
                .addResourceLocations("classpath:/META-INF/resources/webjars/swagger-ui/" + version + "/");
    }
}
