package am

import (
	"context"
	"fmt"

	"github.com/hubelviz/hubel/models"
)

// Preview renders the initial images that an engine with the same cfg
// starts from (its parameterisation, initialisation and seed, batch images
// of cfg.Size with channels channels: 3 for RGB, 1 for grey), without a
// model: a page can show its first frame while the model is still loading.
// It returns them as Images does, and releases be. An "init: mean" image
// takes its colour from cfg.Mean (a renderer takes the model's where
// cfg.Mean is zero).
func Preview[Buf, Op any](ctx context.Context, be Backend[Buf, Op], cfg Config, batch, channels int) ([]float32, error) {
	defer be.Release()
	cfg = cfg.withDefaults()
	if cfg.Mean == [3]float64{} {
		cfg.Mean = imageNetMean
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	switch {
	case cfg.code():
		return nil, fmt.Errorf("am: preview: param %q draws its image with a generator: there is no preview without the model", cfg.Param)
	case batch < 1:
		return nil, fmt.Errorf("am: preview: batch %d: want at least 1", batch)
	case channels != 1 && channels != 3:
		return nil, fmt.Errorf("am: preview: %d channels: want 1 (grey) or 3 (RGB)", channels)
	}
	r := &Engine[Buf, Op]{cfg: cfg, be: be, batch: batch, channels: channels, forwardOnly: true}
	if err := r.prepareParam(); err != nil {
		return nil, err
	}
	return r.Images(ctx)
}

// PreviewModel is Preview for a render of the model desc describes, before
// its weights are loaded: the model's number of channels, and its mean
// colour where cfg.Mean is zero, as a renderer takes them.
func PreviewModel[Buf, Op any](ctx context.Context, be Backend[Buf, Op], desc *models.Descriptor, cfg Config, batch int) ([]float32, error) {
	return Preview(ctx, be, cfg.withModelMean(desc), batch, desc.Input.Channels)
}

// withModelMean fills a zero Mean with the model's mean colour, or with
// ImageNet's where the model gives none.
func (c Config) withModelMean(desc *models.Descriptor) Config {
	if c.Mean == [3]float64{} {
		c.Mean = desc.Input.Mean
	}
	if c.Mean == [3]float64{} {
		c.Mean = imageNetMean
	}
	return c
}
