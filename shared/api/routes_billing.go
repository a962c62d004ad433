package api

import "github.com/orgplane/orgplane/shared/access"

// walletRoutes are the wallet, ledger, plan and subscription routes.
var walletRoutes = []Route{
	{Name: "get-wallet", Method: "GET", Path: "/organizations/{org}/wallet", Permission: access.BillingRead, Prefetch: true, handle: (*Server).getWallet},
	{Name: "open-wallet", Method: "POST", Path: "/organizations/{org}/wallet", Permission: access.BillingManage, Writes: true, handle: (*Server).openWallet},
	{Name: "list-wallet-transactions", Method: "GET", Path: "/organizations/{org}/wallet/transactions", Permission: access.BillingRead, Prefetch: true, handle: (*Server).listWalletTransactions},
	{Name: "create-top-up", Method: "POST", Path: "/organizations/{org}/wallet/top-ups", Permission: access.BillingManage, Writes: true, Body: true, handle: (*Server).createTopUp},
	{Name: "create-charge", Method: "POST", Path: "/organizations/{org}/wallet/charges", Permission: access.CreditsSpend, Writes: true, Body: true, handle: (*Server).createCharge},
	{Name: "list-plans", Method: "GET", Path: "/plans", Public: true, handle: (*Server).listPlans},
	{Name: "get-subscription", Method: "GET", Path: "/organizations/{org}/subscription", Permission: access.BillingRead, Prefetch: true, handle: (*Server).getSubscription},
	{Name: "change-subscription", Method: "PUT", Path: "/organizations/{org}/subscription", Permission: access.BillingManage, Writes: true, Body: true, handle: (*Server).changeSubscription},
}
