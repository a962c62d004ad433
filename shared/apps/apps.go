// Package apps holds installed app instances as the domain sees them: an
// instance of a catalog template inside an org, its lifecycle (running or
// stopped, and why), its access setting, and the lifecycle log entries that
// tell its story with who did what. It imports nothing from AWS; package ddb
// stores these types and package autostop stops idle instances.
package apps

import (
	"strings"
	"time"
)

// Instance statuses.
const (
	Running = "running"
	Stopped = "stopped"
)

// Why an instance stopped.
const (
	StopManual = "manual" // someone called stop
	StopIdle   = "idle"   // the scheduled job: no access for the idle timeout
	StopUnpaid = "unpaid" // the renewal job found the wallet short; payment starts it
)

// Health values. Orgplane runs no probe inside apps, so health follows the
// lifecycle: a running instance is healthy, a stopped one unavailable until
// its next access starts it.
const (
	Healthy     = "healthy"
	Unavailable = "unavailable"
)

// Visibility says who may use (access) an instance. Every member with
// apps:read sees every instance in the list either way.
const (
	// VisibleToOrganization: any member with apps:read may access it.
	VisibleToOrganization = "organization"
	// Private: only members with apps:manage may access it.
	Private = "private"
)

// ValidVisibility reports whether v is a visibility.
func ValidVisibility(v string) bool { return v == VisibleToOrganization || v == Private }

// Access is an instance's access setting.
type Access struct {
	Visibility string
}

// Instance is an installed app in an org.
type Instance struct {
	ID             string
	OrganizationID string
	TemplateID     string
	Name           string
	Status         string
	StopReason     string // "" while running
	// Env holds the values as stored, secrets included; only views mask.
	Env          map[string]string
	Access       Access
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	StartedAt    time.Time
	StoppedAt    time.Time // zero while running
	LastActiveAt time.Time
	TrialEndsAt  time.Time // zero without a trial
	Billing      string    // how it is paid for (monthly, annual, one_time, lifetime); "" when free
	Version      int64
}

// Health is the instance's health (see Healthy).
func (i Instance) Health() string {
	if i.Status == Running {
		return Healthy
	}
	return Unavailable
}

// Lifecycle log events.
const (
	Installed       = "installed"
	Started         = "started" // by an access to a stopped instance
	StoppedEvent    = "stopped" // Reason: StopManual or StopIdle
	Restarted       = "restarted"
	SettingsChanged = "settings_changed" // Changes names what, never values
)

// Reasons of a Started event: what started the stopped instance.
const (
	StartedByAccess  = "access"
	StartedByRestart = "restart"
	StartedByPayment = "payment" // the charge that had failed went through
)

// Actor types.
const (
	ActorUser     = "user"
	ActorAPIKey   = "api_key"
	ActorSchedule = "schedule"
)

// Actor is who caused an event: a user, an API key, or a scheduled job
// (whose ID is the job's name).
type Actor struct {
	Type string
	ID   string
	// Name is how the org's activity log shows a user or key; the app's
	// own log keeps only the type and id.
	Name string
}

// ActorOf is the actor for a principal id (usr_… or key_…).
func ActorOf(principalID string) Actor {
	if strings.HasPrefix(principalID, "key_") {
		return Actor{Type: ActorAPIKey, ID: principalID}
	}
	return Actor{Type: ActorUser, ID: principalID}
}

// NamedActor is ActorOf with the principal's name.
func NamedActor(principalID, name string) Actor {
	a := ActorOf(principalID)
	a.Name = name
	return a
}

// ScheduleActor is the actor for the scheduled job with the name.
func ScheduleActor(job string) Actor { return Actor{Type: ActorSchedule, ID: job} }

// Event is one lifecycle log entry of an instance.
type Event struct {
	ID             string
	OrganizationID string
	AppID          string
	Kind           string
	// Reason qualifies Kind: why it stopped, or what started it.
	Reason string
	// Changes names the settings a SettingsChanged event changed
	// ("name", "access.visibility", "env.API_KEY"): names, never values.
	Changes []string
	Actor   Actor
	At      time.Time
}
