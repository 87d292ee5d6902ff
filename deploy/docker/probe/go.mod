module github.com/kitemall/platform/deploy/docker/probe

go 1.26.0
