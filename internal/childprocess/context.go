package childprocess

import "context"

type ctx = context.Context

func contextBackground() context.Context { return context.Background() }
