package api

// appRoutes are the app catalog and installed app instance routes.
var appRoutes = []Route{}
