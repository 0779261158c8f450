module github.com/refreshspec/refreshspec/examples/go-scs

go 1.26.0

require (
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/gorilla/csrf v1.7.3
	golang.org/x/sync v0.25.0
)

require github.com/gorilla/securecookie v1.1.2 // indirect
