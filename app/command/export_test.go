package command

// Test-only access for the differential test (package command_test), whose
// reference applies rows one at a time with the row-to-command mapping the
// chunks use.
var (
	RegistrationOf = registration
	PatchOf        = patch
	FailuresOf     = failuresOf
	Rejected       = rejected
	ManagersFirst  = managersFirst
	CommandIDOf    = commandID
)
