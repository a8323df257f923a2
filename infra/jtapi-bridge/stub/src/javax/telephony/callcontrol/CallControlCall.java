// Stub for compiling and testing only, written from jtapi-stub-spec.md (Cisco's signatures and constant values).
package javax.telephony.callcontrol;

import javax.telephony.*;
import javax.telephony.events.*;
import javax.telephony.callcontrol.events.*;
import javax.telephony.callcenter.*;
import javax.telephony.callcenter.events.*;
import javax.telephony.capabilities.*;
import com.cisco.jtapi.extensions.*;

public interface CallControlCall extends Call {
    Address getCalledAddress();
    Address getCallingAddress();
    Address getLastRedirectedAddress();
    Connection transfer(String arg0) throws InvalidArgumentException, InvalidStateException, InvalidPartyException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
    Connection[] consult(TerminalConnection arg0, String arg1) throws InvalidStateException, InvalidArgumentException, MethodNotSupportedException, ResourceUnavailableException, PrivilegeViolationException, InvalidPartyException;
    void conference(Call arg0) throws InvalidStateException, InvalidArgumentException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
    void setTransferController(TerminalConnection arg0) throws InvalidArgumentException, InvalidStateException, MethodNotSupportedException, ResourceUnavailableException;
    // not in jtapi-stub-spec.md; as jtapi-15.jar declares them (javap): the dropCall and addParty ops
    void drop() throws InvalidStateException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
    void setConferenceEnable(boolean arg0) throws InvalidArgumentException, InvalidStateException, MethodNotSupportedException, PrivilegeViolationException;
    Connection addParty(String arg0) throws InvalidStateException, InvalidPartyException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
    void transfer(Call arg0) throws InvalidStateException, InvalidArgumentException, InvalidPartyException, MethodNotSupportedException, PrivilegeViolationException, ResourceUnavailableException;
}
