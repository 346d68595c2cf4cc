package systab

//go:generate go run ../../internal/gen/systab -o zz_generated.go
