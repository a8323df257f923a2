package tserver.jtapibridge;

import com.cisco.jtapi.extensions.CiscoJtapiException;
import com.google.gson.JsonObject;
import javax.telephony.InvalidArgumentException;
import javax.telephony.InvalidPartyException;
import javax.telephony.InvalidStateException;
import javax.telephony.MethodNotSupportedException;
import javax.telephony.PrivilegeViolationException;
import javax.telephony.ResourceUnavailableException;

/** A JTAPI exception as the protocol's error: the javax.telephony class and Cisco's CTI error code. */
final class Errors {
    private Errors() {}

    static String exceptionName(Throwable e) {
        if (e instanceof InvalidArgumentException) return "InvalidArgumentException";
        if (e instanceof InvalidPartyException) return "InvalidPartyException";
        if (e instanceof InvalidStateException) return "InvalidStateException";
        if (e instanceof MethodNotSupportedException) return "MethodNotSupportedException";
        if (e instanceof PrivilegeViolationException) return "PrivilegeViolationException";
        if (e instanceof ResourceUnavailableException) return "ResourceUnavailableException";
        // PlatformException, ProviderUnavailableException, Cisco's registration exceptions, and anything else
        return "PlatformException";
    }

    static JsonObject of(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        JsonObject error = Json.obj("exception", exceptionName(e), "message", message);
        if (e instanceof CiscoJtapiException) {
            CiscoJtapiException cisco = (CiscoJtapiException) e;
            error.addProperty("errorCode", cisco.getErrorCode());
            String name = cisco.getErrorName();
            if (name != null && !name.isEmpty()) error.addProperty("errorName", name);
        }
        return error;
    }
}
