package api

import (
	"github.com/orgplane/orgplane/shared/apps"
	"github.com/orgplane/orgplane/shared/catalog"
)

// JSON shapes of the app catalog, instances and their logs.

type pricingView struct {
	Currency string `json:"currency"`
	Monthly  int64  `json:"monthly"`
	Annual   int64  `json:"annual"`
	OneTime  int64  `json:"one_time"`
	Lifetime int64  `json:"lifetime"`
}

type envVarView struct {
	Key         string  `json:"key"`
	Description string  `json:"description"`
	Required    bool    `json:"required"`
	Secret      bool    `json:"secret"`
	Default     *string `json:"default"`
}

type appTemplateView struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Category    string       `json:"category"`
	Pricing     pricingView  `json:"pricing"`
	TrialDays   int          `json:"trial_days"`
	Env         []envVarView `json:"env"`
}

func viewAppTemplate(t catalog.Template) appTemplateView {
	v := appTemplateView{ID: t.ID, Name: t.Name, Description: t.Description, Category: t.Category,
		Pricing: pricingView{Currency: "credits", Monthly: t.Pricing.Monthly, Annual: t.Pricing.Annual,
			OneTime: t.Pricing.OneTime, Lifetime: t.Pricing.Lifetime},
		TrialDays: t.TrialDays, Env: make([]envVarView, len(t.Env))}
	for i, e := range t.Env {
		v.Env[i] = envVarView{Key: e.Key, Description: e.Description, Required: e.Required, Secret: e.Secret, Default: e.Default}
	}
	return v
}

type appAccessView struct {
	Visibility string `json:"visibility"`
}

type appView struct {
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	TemplateID     string            `json:"template_id"`
	Name           string            `json:"name"`
	Status         string            `json:"status"`
	Health         string            `json:"health"`
	StopReason     *string           `json:"stop_reason"`
	Env            map[string]string `json:"env"`
	Access         appAccessView     `json:"access"`
	LastActiveAt   string            `json:"last_active_at"`
	StartedAt      string            `json:"started_at"`
	StoppedAt      *string           `json:"stopped_at"`
	TrialEndsAt    *string           `json:"trial_ends_at"`
	Billing        *string           `json:"billing"` // how it is paid; null when free
	CreatedBy      string            `json:"created_by"`
	CreatedAt      string            `json:"created_at"`
	UpdatedAt      string            `json:"updated_at"`
	Version        int64             `json:"version"`
}

// viewApp shows an instance with its secret env values masked: the only
// way an instance leaves the API.
func viewApp(i apps.Instance) appView {
	return appView{ID: i.ID, OrganizationID: i.OrganizationID, TemplateID: i.TemplateID, Name: i.Name,
		Status: i.Status, Health: i.Health(), StopReason: strOrNil(i.StopReason),
		Env: catalog.Masked(i.TemplateID, i.Env), Access: appAccessView{Visibility: i.Access.Visibility},
		LastActiveAt: ts(i.LastActiveAt), StartedAt: ts(i.StartedAt), StoppedAt: tsOrNil(i.StoppedAt),
		TrialEndsAt: tsOrNil(i.TrialEndsAt), Billing: strOrNil(i.Billing), CreatedBy: i.CreatedBy, CreatedAt: ts(i.CreatedAt),
		UpdatedAt: ts(i.UpdatedAt), Version: i.Version}
}

type actorView struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type appLogView struct {
	ID        string    `json:"id"`
	AppID     string    `json:"app_id"`
	Event     string    `json:"event"`
	Reason    *string   `json:"reason"`
	Changes   []string  `json:"changes"`
	Actor     actorView `json:"actor"`
	CreatedAt string    `json:"created_at"`
}

func viewAppLog(e apps.Event) appLogView {
	v := appLogView{ID: e.ID, AppID: e.AppID, Event: e.Kind, Reason: strOrNil(e.Reason), Changes: e.Changes,
		Actor: actorView{Type: e.Actor.Type, ID: e.Actor.ID}, CreatedAt: ts(e.At)}
	if v.Changes == nil {
		v.Changes = []string{}
	}
	return v
}
