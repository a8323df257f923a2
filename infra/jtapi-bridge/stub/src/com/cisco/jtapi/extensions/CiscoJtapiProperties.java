// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package com.cisco.jtapi.extensions;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;

public interface CiscoJtapiProperties {
    boolean IsCertificateUpdated(String arg0, String arg1);
    boolean getDropAnyPartyEnabled();
    java.util.Hashtable getSecurityPropertyForInstance(String arg0, String arg1);
    void deleteSecurityPropertyForInstance(String arg0, String arg1, String arg2, String arg3);
    void setDropAnyPartyEnabled(boolean arg0);
    void setSecurityPropertyForInstance(String arg0, String arg1, String arg2, String arg3, String arg4, String arg5, String arg6, String arg7, boolean arg8, String arg9, boolean arg10);
    void updateCertificate(String arg0, String arg1, String arg2, String arg3, String arg4, String arg5, String arg6, String arg7, String arg8) throws Exception, java.io.IOException, java.net.UnknownHostException;
    void updateServerCertificate(String arg0, String arg1, String arg2, String arg3, String arg4) throws Exception, java.io.IOException, java.net.UnknownHostException;
}
