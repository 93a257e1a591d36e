// The Spark Connect client lives here.
