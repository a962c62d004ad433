package api

// invitationRoutes are the invitation routes (issue 4).
var invitationRoutes = []Route{}

// walletRoutes are the wallet, ledger, plan and subscription routes.
var walletRoutes = []Route{}
