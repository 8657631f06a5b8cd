// Package escalation models the retailer's independent Complaints
// Department (Klageafdeling): the outcome of a case, the decision it records
// with the improvements the company should make, the impartiality rule that
// keeps a reviewer apart from the customer service staff who handled the
// case, and the external complaint bodies a consumer must be told about when
// a complaint is wholly or partly rejected.
//
// The package stands alone: it does not know the complaint lifecycle, so its
// rules can be used and tested on their own. Package complaint applies them.
package escalation
