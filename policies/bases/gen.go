package bases

//go:generate go run ../../internal/gen/dockerdefault -o docker-default.yaml
