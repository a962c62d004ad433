package catalog

func def(v string) *string { return &v }

// templates is the marketplace, kept in id order (a test checks it): the
// API's cursors resume after an id.
var templates = []Template{
	{
		ID: "calendar-sync", Name: "Calendar Sync", Category: Productivity,
		Description: "Two-way sync between team calendars and Google Calendar, with shared availability.",
		Pricing:     Pricing{Monthly: 200, Annual: 2000, OneTime: 3000, Lifetime: 6000}, TrialDays: 30,
		Env: []EnvVar{
			{Key: "GOOGLE_CLIENT_ID", Description: "OAuth client id of your Google Cloud project.", Required: true},
			{Key: "GOOGLE_CLIENT_SECRET", Description: "OAuth client secret of the same project.", Required: true, Secret: true},
			{Key: "SYNC_INTERVAL_MINUTES", Description: "How often calendars are compared.", Default: def("15")},
		},
	},
	{
		ID: "chat-assistant", Name: "AI Chat Assistant", Category: AI,
		Description: "A chat assistant that answers questions about your organization's documents.",
		Pricing:     Pricing{Monthly: 1500, Annual: 15000, OneTime: 20000, Lifetime: 45000}, TrialDays: 30,
		Env: []EnvVar{
			{Key: "LLM_API_KEY", Description: "API key of the language model provider.", Required: true, Secret: true},
			{Key: "MODEL", Description: "Model to answer with.", Default: def("gpt-4o-mini")},
			{Key: "SYSTEM_PROMPT", Description: "Instructions prepended to every conversation."},
		},
	},
	{
		ID: "doc-summarizer", Name: "Document Summarizer", Category: AI,
		Description: "Summarizes long PDFs and meeting transcripts into action items.",
		Pricing:     Pricing{Monthly: 800, Annual: 8000, OneTime: 12000, Lifetime: 25000}, TrialDays: 30,
		Env: []EnvVar{
			{Key: "LLM_API_KEY", Description: "API key of the language model provider.", Required: true, Secret: true},
			{Key: "MAX_PAGES", Description: "Longest document accepted, in pages.", Default: def("50")},
			{Key: "LANGUAGE", Description: "Language of the summaries.", Default: def("en")},
		},
	},
	{
		ID: "email-campaigns", Name: "Email Campaigns", Category: Communication,
		Description: "Newsletters and drip campaigns sent through your own SMTP server.",
		Pricing:     Pricing{Monthly: 1000, Annual: 10000, OneTime: 15000, Lifetime: 30000}, TrialDays: 14,
		Env: []EnvVar{
			{Key: "SMTP_HOST", Description: "SMTP server, host:port.", Required: true},
			{Key: "SMTP_USERNAME", Description: "SMTP user name.", Required: true},
			{Key: "SMTP_PASSWORD", Description: "SMTP password.", Required: true, Secret: true},
			{Key: "FROM_ADDRESS", Description: "Sender address of every campaign.", Required: true},
		},
	},
	{
		ID: "error-tracker", Name: "Error Tracker", Category: DeveloperTools,
		Description: "Collects exceptions from your services, groups them and alerts the owner.",
		Pricing:     Pricing{Monthly: 600, Annual: 6000, OneTime: 9000, Lifetime: 18000}, TrialDays: 30,
		Env: []EnvVar{
			{Key: "ALERT_WEBHOOK_URL", Description: "Where new error groups are posted."},
			{Key: "RETENTION_DAYS", Description: "How long events are kept.", Default: def("30")},
			{Key: "INGEST_TOKEN", Description: "Token your services send events with.", Required: true, Secret: true},
		},
	},
	{
		ID: "image-studio", Name: "Image Studio", Category: AI,
		Description: "Generates and edits marketing images from text prompts.",
		Pricing:     Pricing{Monthly: 2000, Annual: 20000, OneTime: 30000, Lifetime: 60000}, TrialDays: 14,
		Env: []EnvVar{
			{Key: "IMAGE_API_KEY", Description: "API key of the image model provider.", Required: true, Secret: true},
			{Key: "DEFAULT_SIZE", Description: "Size of generated images.", Default: def("1024x1024")},
		},
	},
	{
		ID: "kanban-board", Name: "Kanban Board", Category: Productivity,
		Description: "Boards, columns and cards for planning work, with work-in-progress limits.",
		Pricing:     Pricing{Monthly: 300, Annual: 3000, OneTime: 4500, Lifetime: 9000}, TrialDays: 30,
		Env: []EnvVar{
			{Key: "BOARD_TITLE", Description: "Title of the first board.", Default: def("Team board")},
			{Key: "WIP_LIMIT", Description: "Most cards allowed in progress per column.", Default: def("5")},
		},
	},
	{
		ID: "status-page", Name: "Status Page", Category: Communication,
		Description: "A public status page with incident updates and email subscriptions.",
		Pricing:     Pricing{Monthly: 0, Annual: 0, OneTime: 0, Lifetime: 0}, TrialDays: 0,
		Env: []EnvVar{
			{Key: "PAGE_TITLE", Description: "Heading of the status page.", Required: true},
			{Key: "SUPPORT_EMAIL", Description: "Contact shown on the page."},
		},
	},
	{
		ID: "team-chat", Name: "Team Chat", Category: Communication,
		Description: "Channels, threads and direct messages for your team, searchable.",
		Pricing:     Pricing{Monthly: 500, Annual: 5000, OneTime: 7500, Lifetime: 15000}, TrialDays: 30,
		Env: []EnvVar{
			{Key: "RETENTION_DAYS", Description: "How long messages are kept.", Default: def("365")},
			{Key: "WEBHOOK_SECRET", Description: "Signs outgoing webhooks.", Secret: true},
		},
	},
	{
		ID: "team-wiki", Name: "Team Wiki", Category: Productivity,
		Description: "Pages, templates and full-text search for your team's knowledge.",
		Pricing:     Pricing{Monthly: 400, Annual: 4000, OneTime: 6000, Lifetime: 12000}, TrialDays: 30,
		Env: []EnvVar{
			{Key: "SPACE_NAME", Description: "Name of the first space.", Default: def("Home")},
		},
	},
	{
		ID: "web-analytics", Name: "Web Analytics", Category: Analytics,
		Description: "Privacy-friendly website analytics: visitors, pages, referrers, no cookies.",
		Pricing:     Pricing{Monthly: 700, Annual: 7000, OneTime: 10000, Lifetime: 21000}, TrialDays: 30,
		Env: []EnvVar{
			{Key: "SITE_URL", Description: "The website to measure.", Required: true},
			{Key: "EXCLUDE_PATHS", Description: "Comma-separated path prefixes not to count."},
		},
	},
}
