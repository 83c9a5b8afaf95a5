package io.bridge.http;

import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat's own answer to a request no servlet saw (a malformed request line or header line, headers
 * over their limit), in the bridge's JSON instead of Tomcat's HTML page. Nothing of the request is
 * echoed. Errors inside the application are answered by {@link JsonErrors} and the routes.
 */
public class JsonErrorReportValve extends ErrorReportValve {

    public JsonErrorReportValve() {
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        try {
            if (status == 400) {
                Problems.write(response, 400, "bad_request", "the request is not valid HTTP/1.1 (its request line or a header "
                        + "line is malformed, or the headers are too large): nothing of it was read");
            } else {
                Problems.writeGeneric(response, status);
            }
            response.finishResponse();
        } catch (IOException | IllegalStateException e) {
            // the client went away: nothing to answer
        }
    }
}
