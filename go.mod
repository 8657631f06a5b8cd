module github.com/klageflow/klage

go 1.25.0

require (
	github.com/looplab/fsm v1.0.3
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
